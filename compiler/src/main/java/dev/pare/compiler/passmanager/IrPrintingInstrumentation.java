package dev.pare.compiler.passmanager;

import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import java.io.PrintStream;
import java.util.Set;

/**
 * {@code --print-ir-before=P}, {@code --print-ir-after=P}, {@code --print-ir-after-all} and
 * {@code --print-ir-after-change} (prints only when the IR text differs from before the pass).
 */
public final class IrPrintingInstrumentation implements PassInstrumentation {

    private final PrintStream out;
    private final Set<String> before;
    private final Set<String> after;
    private final boolean afterAll;
    private final boolean afterChange;
    private String textBefore;

    public IrPrintingInstrumentation(PrintStream out, Set<String> before, Set<String> after, boolean afterAll, boolean afterChange) {
        this.out = out;
        this.before = Set.copyOf(before);
        this.after = Set.copyOf(after);
        this.afterAll = afterAll;
        this.afterChange = afterChange;
    }

    @Override public void beforePass(PassExecution execution, Graph graph) {
        textBefore = null;
        boolean printBefore = before.contains(execution.passName());
        boolean needText = afterChange && !afterAll && !after.contains(execution.passName());
        if (!printBefore && !needText) return;
        String text = IrPrinter.print(graph);
        if (printBefore) print("before", execution, text);
        if (needText) textBefore = text;
    }

    @Override public void afterPass(PassExecution execution, Graph graph, PassOutcome outcome) {
        if (afterAll || after.contains(execution.passName())) {
            print("after", execution, IrPrinter.print(graph));
        } else if (textBefore != null) {
            String text = IrPrinter.print(graph);
            if (!text.equals(textBefore)) print("after", execution, text);
        }
        textBefore = null;
    }

    private void print(String when, PassExecution execution, String ir) {
        out.println("// ----- IR " + when + " pass '" + execution.passName() + "' (" + execution.describe() + ") -----");
        out.print(ir);
        out.flush();
    }
}
