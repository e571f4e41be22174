package dev.pare.ir;

/**
 * Where a node came from: the input file, the node's name there, and its index in the file's
 * node list (-1 when unknown, e.g. for nodes created by a pass).
 */
public record Location(String file, String path, int index) {

    public static final Location UNKNOWN = new Location("", "", -1);

    public static Location created(String byPass) { return new Location("", "<" + byPass + ">", -1); }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder();
        if (!file.isEmpty()) sb.append(file);
        if (!path.isEmpty()) {
            if (sb.length() > 0) sb.append(':');
            sb.append(path);
        }
        if (index >= 0) sb.append(" (#").append(index).append(')');
        return sb.length() == 0 ? "<unknown>" : sb.toString();
    }
}
