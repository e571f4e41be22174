package dev.pare.compiler.data;

/** Shapes written as {@code 2000,1,28,28}; {@code -1} is allowed first (as many as there are). */
public final class ShapeSpec {

    private ShapeSpec() {}

    public static long[] parse(String spec, String where) throws DataException {
        String[] parts = spec.trim().replaceAll("^[\\[(]|[\\])]$", "").split("[,x]");
        long[] shape = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].trim();
            try {
                shape[i] = Long.parseLong(p);
            } catch (NumberFormatException e) {
                throw new DataException(where + ": shape '" + spec + "': '" + p + "' is not a dimension");
            }
            if (shape[i] < 0 && !(i == 0 && shape[i] == -1)) {
                throw new DataException(where + ": shape '" + spec + "': only the first dimension may be -1");
            }
        }
        return shape;
    }
}
