package dev.pare.compiler.passmanager;

import java.util.Optional;

/**
 * A pipeline run failed, or the manager was configured wrongly. The message is one line per
 * problem: {@code error[M001] pass 'foo' failed at pipeline.pipeline:3:5 on node 'conv1'
 * (onnx.Conv): message}.
 *
 * <table>
 *   <tr><th>code</th><th>meaning</th></tr>
 *   <tr><td>(the pass's)</td><td>a pass threw {@link dev.pare.spi.PassFailure}: its own code is used</td></tr>
 *   <tr><td>M001</td><td>a pass threw an unexpected exception (or a PassFailure without a code)</td></tr>
 *   <tr><td>M002</td><td>the verifier found problems after a pass</td></tr>
 *   <tr><td>M003</td><td>a pass reported an error diagnostic</td></tr>
 *   <tr><td>M004</td><td>{@code --disable-pass} names a required pass</td></tr>
 *   <tr><td>M005</td><td>a pass-manager option names an unknown pass</td></tr>
 *   <tr><td>M006</td><td>(warning) a fixpoint did not converge within max_iterations</td></tr>
 *   <tr><td>M007</td><td>(warning) the reproducer could not be written</td></tr>
 *   <tr><td>M008</td><td>the input graph does not verify</td></tr>
 * </table>
 */
public class PassManagerException extends Exception {

    private final String code;
    private final String passName;
    private final String nodeName;
    private final RunReport report;

    public PassManagerException(String code, String message, String passName, String nodeName, RunReport report, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.passName = passName;
        this.nodeName = nodeName;
        this.report = report;
    }

    public String code() { return code; }

    /** The failing pass, or empty for configuration and input problems. */
    public Optional<String> passName() { return Optional.ofNullable(passName); }

    /** The node the pass failed on, if known. */
    public Optional<String> nodeName() { return Optional.ofNullable(nodeName == null || nodeName.isEmpty() ? null : nodeName); }

    /** Diagnostics and statistics gathered up to the failure (empty for configuration errors). */
    public RunReport report() { return report; }

    PassManagerException withReport(RunReport r) {
        PassManagerException e = new PassManagerException(code, getMessage(), passName, nodeName, r, getCause());
        e.setStackTrace(getStackTrace());
        return e;
    }
}
