package dev.pare.passes.compression;

import dev.pare.ir.Node;
import dev.pare.spi.OpTraits;
import dev.pare.spi.WeightOperand;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The {@link OpTraits} providers the compression passes consult, in order: plugins first (sorted by
 * class name, so the order does not depend on the class path), the built-in traits last. For a
 * node the first provider with a non-empty answer wins.
 */
public final class WeightTraits {

    private final List<OpTraits> providers;

    public WeightTraits(List<OpTraits> providers) {
        this.providers = List.copyOf(providers);
    }

    /** Only the built-in traits. */
    public static WeightTraits builtin() {
        return new WeightTraits(List.of(new BuiltinOpTraits()));
    }

    /**
     * Providers listed in {@code META-INF/services/dev.pare.spi.OpTraits} visible to the thread's
     * context class loader (the compiler's plugin loader) or to this module's loader.
     */
    public static WeightTraits discover() {
        Map<String, OpTraits> byClass = new LinkedHashMap<>();
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        for (ClassLoader loader : new ClassLoader[] {context, WeightTraits.class.getClassLoader()}) {
            if (loader == null) continue;
            for (OpTraits t : ServiceLoader.load(OpTraits.class, loader)) byClass.putIfAbsent(t.getClass().getName(), t);
        }
        List<OpTraits> plugins = new ArrayList<>();
        for (OpTraits t : byClass.values()) if (!(t instanceof BuiltinOpTraits)) plugins.add(t);
        plugins.sort(Comparator.comparing(t -> t.getClass().getName()));
        plugins.add(new BuiltinOpTraits());
        return new WeightTraits(plugins);
    }

    /** The weight operands of {@code node}; empty if no provider knows the op. */
    public List<WeightOperand> weightOperands(Node node) {
        for (OpTraits t : providers) {
            List<WeightOperand> w = t.weightOperands(node);
            if (w != null && !w.isEmpty()) return w;
        }
        return List.of();
    }
}
