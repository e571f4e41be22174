package dev.pare.compiler.passmanager;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * How a {@link PassManager} runs a pipeline and what it reports.
 *
 * @param verify             run {@link dev.pare.ir.Verifier} on the input and after every pass
 * @param seed               seeds every step's random generator (with the step index and pass name)
 * @param disabledPasses     optional passes to skip ({@code --disable-pass}); naming a required or
 *                           unknown pass is an error
 * @param timing             print a table of pass times after the pipeline
 * @param printIrBefore      print the IR before each run of these passes
 * @param printIrAfter       print the IR after each run of these passes
 * @param printIrAfterAll    print the IR after every pass
 * @param printIrAfterChange print the IR after a pass only if its text changed
 * @param passStatistics     print each step's counters after the pipeline
 * @param reproducerDir      where to write a reproducer when a pass fails
 */
public record PassManagerOptions(boolean verify, long seed, Set<String> disabledPasses, boolean timing,
                                 Set<String> printIrBefore, Set<String> printIrAfter, boolean printIrAfterAll,
                                 boolean printIrAfterChange, boolean passStatistics, Optional<Path> reproducerDir) {

    public static final PassManagerOptions DEFAULTS = new PassManagerOptions(true, 0, Set.of(), false, Set.of(),
            Set.of(), false, false, false, Optional.empty());

    public PassManagerOptions {
        disabledPasses = Set.copyOf(new TreeSet<>(disabledPasses));
        printIrBefore = Set.copyOf(printIrBefore);
        printIrAfter = Set.copyOf(printIrAfter);
    }

    public PassManagerOptions withVerify(boolean v) {
        return new PassManagerOptions(v, seed, disabledPasses, timing, printIrBefore, printIrAfter, printIrAfterAll, printIrAfterChange, passStatistics, reproducerDir);
    }

    public PassManagerOptions withSeed(long s) {
        return new PassManagerOptions(verify, s, disabledPasses, timing, printIrBefore, printIrAfter, printIrAfterAll, printIrAfterChange, passStatistics, reproducerDir);
    }

    public PassManagerOptions withDisabledPasses(Set<String> d) {
        return new PassManagerOptions(verify, seed, d, timing, printIrBefore, printIrAfter, printIrAfterAll, printIrAfterChange, passStatistics, reproducerDir);
    }

    public PassManagerOptions withTiming(boolean t) {
        return new PassManagerOptions(verify, seed, disabledPasses, t, printIrBefore, printIrAfter, printIrAfterAll, printIrAfterChange, passStatistics, reproducerDir);
    }

    public PassManagerOptions withPrintIrBefore(Set<String> p) {
        return new PassManagerOptions(verify, seed, disabledPasses, timing, p, printIrAfter, printIrAfterAll, printIrAfterChange, passStatistics, reproducerDir);
    }

    public PassManagerOptions withPrintIrAfter(Set<String> p) {
        return new PassManagerOptions(verify, seed, disabledPasses, timing, printIrBefore, p, printIrAfterAll, printIrAfterChange, passStatistics, reproducerDir);
    }

    public PassManagerOptions withPrintIrAfterAll(boolean p) {
        return new PassManagerOptions(verify, seed, disabledPasses, timing, printIrBefore, printIrAfter, p, printIrAfterChange, passStatistics, reproducerDir);
    }

    public PassManagerOptions withPrintIrAfterChange(boolean p) {
        return new PassManagerOptions(verify, seed, disabledPasses, timing, printIrBefore, printIrAfter, printIrAfterAll, p, passStatistics, reproducerDir);
    }

    public PassManagerOptions withPassStatistics(boolean p) {
        return new PassManagerOptions(verify, seed, disabledPasses, timing, printIrBefore, printIrAfter, printIrAfterAll, printIrAfterChange, p, reproducerDir);
    }

    public PassManagerOptions withReproducerDir(Path dir) {
        return new PassManagerOptions(verify, seed, disabledPasses, timing, printIrBefore, printIrAfter, printIrAfterAll, printIrAfterChange, passStatistics, Optional.ofNullable(dir));
    }
}
