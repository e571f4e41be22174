package dev.pare.compiler.report;

import java.util.List;

/** How close a compressed model's outputs are to the float model's: SNR plus model-specific metrics. */
record Quality(double snrDb, List<Metric> metrics) {
    Quality {
        metrics = List.copyOf(metrics);
    }

    /** The metric called {@code name}. */
    Metric metric(String name) {
        for (Metric m : metrics) if (m.name().equals(name)) return m;
        throw new IllegalArgumentException("no metric " + name + " in " + metrics);
    }
}
