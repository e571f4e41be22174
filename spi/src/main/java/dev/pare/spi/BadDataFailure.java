package dev.pare.spi;

import dev.pare.ir.Node;

/**
 * A pass cannot continue because the data it was given besides the model (calibration samples) is
 * unusable: unreadable, empty, holding NaN or infinity, or with a range int8 cannot carry. The
 * command line reports it as bad input (exit code 3), not as a compiler failure.
 */
public class BadDataFailure extends PassFailure {

    public BadDataFailure(String code, Node node, String message) { super(code, node, message); }

    public BadDataFailure(String code, String message) { super(code, message); }

    public BadDataFailure(DiagnosticCode code, Node node, String message) { super(code, node, message); }

    public BadDataFailure(DiagnosticCode code, String message) { super(code, message); }
}
