package dev.pare.spi;

import dev.pare.ir.Location;
import dev.pare.ir.Node;

/** A pass cannot continue; names the node it failed on and a stable error code. */
public class PassFailure extends Exception {

    private final String code;
    private final Location location;
    private final String nodeName;

    public PassFailure(String code, Node node, String message) {
        super(message);
        this.code = code;
        this.location = node == null ? Location.UNKNOWN : node.location();
        this.nodeName = node == null ? "" : node.name();
    }

    public PassFailure(String code, String message) { this(code, null, message); }

    public PassFailure(DiagnosticCode code, Node node, String message) { this(code.code(), node, message); }

    public PassFailure(DiagnosticCode code, String message) { this(code.code(), null, message); }

    public String code() { return code; }

    public Location location() { return location; }

    /** The failing node's name, or empty. */
    public String nodeName() { return nodeName; }
}
