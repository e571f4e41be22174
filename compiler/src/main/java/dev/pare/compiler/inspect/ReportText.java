package dev.pare.compiler.inspect;

import dev.pare.ir.Model;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The human-readable form of a {@link ModelReport}: aligned tables and readable sizes. */
public final class ReportText {

    /** How many users the weights table lists before summarising the rest. */
    static final int USERS_SHOWN = 3;

    private ReportText() {}

    /** Renders {@code report}; {@code source} names the model (usually the file path as given). */
    public static String render(ModelReport report, String source) {
        StringBuilder sb = new StringBuilder();
        sb.append("Model ").append(source).append(" (").append(report.format()).append(")\n");
        if (!report.properties().isEmpty()) {
            TextTable t = new TextTable("property", "value");
            report.properties().forEach((k, v) -> t.row(k, oneLine(v)));
            sb.append(t.render());
        }
        // Core ML has no opset imports (its opset is a property); ONNX always shows the line.
        if (!report.opsets().isEmpty() || !report.format().equals("coreml")) {
            sb.append("Opsets: ").append(opsets(report.opsets())).append('\n');
        }
        if (!report.metadataProps().isEmpty()) {
            sb.append("Metadata\n");
            TextTable t = new TextTable("key", "value");
            report.metadataProps().forEach((k, v) -> t.row(k, k.equals(PLAN_KEY) ? "(the mixed precision plan below)" : oneLine(v)));
            sb.append(t.render());
            String plan = report.metadataProps().get(PLAN_KEY);
            if (plan != null) sb.append(planTable(plan));
        }

        sb.append('\n').append("Graph ").append(report.graphName()).append(": ")
          .append(plural(report.inputs().size(), "input")).append(", ")
          .append(plural(report.outputs().size(), "output")).append('\n');
        sb.append(ports(report.inputs(), report.outputs()));

        for (FunctionPorts f : report.functions()) { // a multi-function model: its ops and weights are counted below
            sb.append('\n').append("Function ").append(f.name()).append(": ")
              .append(plural(f.inputs().size(), "input")).append(", ")
              .append(plural(f.outputs().size(), "output")).append(" (graph column \"function ").append(f.name()).append("\" below)\n");
            sb.append(ports(f.inputs(), f.outputs()));
        }

        sb.append('\n').append("Ops: ").append(plural(report.nodes(), "node"));
        if (report.subgraphNodes() > 0) sb.append(" (").append(count(report.subgraphNodes())).append(" in subgraphs)");
        sb.append(", ").append(plural(report.ops().size(), "op type")).append('\n');
        if (!report.ops().isEmpty()) {
            TextTable ops = new TextTable("op", ">count");
            for (OpCount o : report.ops()) ops.row(o.op(), count(o.count()));
            sb.append(ops.render());
        }

        sb.append('\n').append("Weights: ").append(plural(report.weights().size(), "tensor")).append(", ")
          .append(plural(report.parameters(), "parameter")).append(", ").append(size(report.bytes())).append('\n');
        if (!report.weights().isEmpty()) {
            boolean scoped = report.hasSubgraphWeights();
            TextTable w = scoped
                    ? new TextTable("graph", "name", "shape", "dtype", ">size", "storage", "used by")
                    : new TextTable("name", "shape", "dtype", ">size", "storage", "used by");
            for (WeightReport r : report.weights()) {
                String shape = r.shape().stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]"));
                String[] cells = {r.name(), shape, r.dtype().shortName(), size(r.bytes()), storage(r), users(r.users())};
                if (scoped) {
                    String[] withGraph = new String[cells.length + 1];
                    withGraph[0] = r.graphPath().isEmpty() ? "main" : r.graphPath();
                    System.arraycopy(cells, 0, withGraph, 1, cells.length);
                    cells = withGraph;
                }
                w.row(cells);
            }
            sb.append(w.render());

            sb.append('\n').append("Weights by dtype\n");
            TextTable d = new TextTable("dtype", ">tensors", ">parameters", ">size");
            for (DTypeTotal t : report.dtypeTotals()) {
                d.row(t.dtype().shortName(), count(t.tensors()), count(t.parameters()), size(t.bytes()));
            }
            d.row("total", count(report.weights().size()), count(report.parameters()), size(report.bytes()));
            sb.append(d.render());
        }
        if (!report.compressedWeights().isEmpty()) compressed(report, sb);
        return sb.toString();
    }

    /** Only shown when the model has compressed weights, so other reports are unchanged. */
    private static void compressed(ModelReport report, StringBuilder sb) {
        long dense = 0;
        long stored = 0;
        for (CompressedWeight c : report.compressedWeights()) {
            dense += c.denseBytes();
            stored += c.storedBytes();
        }
        boolean scoped = report.compressedWeights().stream().anyMatch(c -> !c.graphPath().isEmpty());
        sb.append('\n').append("Compressed weights: ").append(plural(report.compressedWeights().size(), "tensor"))
          .append(", ").append(size(stored)).append(" stored for ").append(size(dense)).append(" dense")
          .append(ratio(dense, stored)).append('\n');
        boolean methods = report.compressedWeights().stream().anyMatch(c -> !c.method().isEmpty());
        String[] head = {"name", "shape", "dtype", "kind", ">bits", ">LUTs", "granularity", ">sparsity", ">dense", ">stored", ">ratio"};
        if (methods) head = append(head, "method");
        boolean history = report.compressedWeights().stream().anyMatch(c -> !c.decompressedFrom().isEmpty());
        if (history) head = append(head, "decompressed from");
        TextTable t = scoped ? new TextTable(prepend("graph", head)) : new TextTable(head);
        for (CompressedWeight c : report.compressedWeights()) {
            String shape = c.shape().stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]"));
            String luts = c.luts() == 0 ? "-" : c.clusterDim() > 1 ? c.luts() + " (vec " + c.clusterDim() + ")" : String.valueOf(c.luts());
            String[] cells = {c.name(), shape, c.dtype().shortName(), c.kind(), c.nbits() == 0 ? "-" : String.valueOf(c.nbits()), luts,
                c.granularity().isEmpty() ? "-" : c.granularity(),
                c.isSparse() ? String.format(Locale.ROOT, "%.1f%%", c.sparsity() * 100) : "-",
                size(c.denseBytes()), size(c.storedBytes()), ratio(c.denseBytes(), c.storedBytes()).trim()};
            if (methods) cells = append(cells, c.method().isEmpty() ? "-" : c.method());
            if (history) cells = append(cells, c.decompressedFrom().isEmpty() ? "-" : c.decompressedFrom());
            t.row(scoped ? prepend(c.graphPath().isEmpty() ? "main" : c.graphPath(), cells) : cells);
        }
        sb.append(t.render());
    }

    private static String[] append(String[] first, String last) {
        String[] out = java.util.Arrays.copyOf(first, first.length + 1);
        out[first.length] = last;
        return out;
    }

    private static String[] prepend(String first, String[] rest) {
        String[] out = new String[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    /** {@code " (x3.9)"}: dense over stored size. */
    private static String ratio(long dense, long stored) {
        if (stored == 0) return "";
        return String.format(Locale.ROOT, " (x%.1f)", (double) dense / stored);
    }

    private static String storage(WeightReport r) {
        String s = r.storage().label();
        if (r.isSparse()) s += " (nnz " + count(r.nonZeros()) + ")";
        if (!r.location().isEmpty()) s += " (" + r.location() + ")";
        if (r.storage() == Storage.CONSTANT_NODE || r.storage() == Storage.NODE_ATTRIBUTE) s += " " + r.node();
        return s;
    }

    private static String users(List<String> users) {
        if (users.isEmpty()) return "-";
        if (users.size() <= USERS_SHOWN) return String.join(", ", users);
        return String.join(", ", users.subList(0, USERS_SHOWN)) + ", +" + (users.size() - USERS_SHOWN) + " more";
    }

    static String opsets(List<Model.OpsetImport> opsets) {
        if (opsets.isEmpty()) return "none";
        return opsets.stream().map(o -> (o.domain().isEmpty() ? "ai.onnx" : o.domain()) + " " + o.version())
                .collect(Collectors.joining(", "));
    }

    /** {@code 1 node}, {@code 1,024 nodes}. */
    static String plural(long n, String noun) {
        return count(n) + " " + noun + (n == 1 ? "" : "s");
    }

    /** Digits grouped by thousands: {@code 547,402}. */
    private static String ports(List<GraphPort> inputs, List<GraphPort> outputs) {
        TextTable t = new TextTable("port", "name", "type");
        for (GraphPort p : inputs) t.row("input", p.name(), p.type());
        for (GraphPort p : outputs) t.row("output", p.name(), p.type());
        return t.render();
    }

    public static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** The metadata key of a mixed_precision plan (dev.pare.compiler.analyze.MixedPrecisionPlan.METADATA_KEY). */
    static final String PLAN_KEY = "com.github.pare.mixedPrecision";

    /** A mixed_precision plan as a table: the totals, then per weight the step it got and its bits per weight. */
    @SuppressWarnings("unchecked")
    private static String planTable(String json) {
        java.util.Map<String, Object> plan;
        try {
            plan = (java.util.Map<String, Object>) dev.pare.compiler.coreml.JsonValues.parse(json);
        } catch (IllegalArgumentException | ClassCastException e) {
            return "Mixed precision plan: unreadable (" + e.getMessage() + ")\n";
        }
        StringBuilder sb = new StringBuilder("Mixed precision plan (").append(plan.get("target")).append("): ")
                .append(plan.get("bits_per_weight")).append(" bits per weight, ").append(plan.get("bytes")).append(" bytes of ")
                .append(plan.get("elements")).append(" weights, predicted SNR ").append(plan.get("predicted_snr_db")).append(" dB\n");
        TextTable t = new TextTable("weight", ">elements", "step", ">bits");
        Object weights = plan.get("weights");
        if (weights instanceof java.util.List<?> list) {
            for (Object o : list) {
                if (!(o instanceof java.util.Map<?, ?> w)) continue;
                Object step = w.get("step");
                t.row(String.valueOf(w.get("name")), String.valueOf(w.get("elements")), step == null ? "(as it was)" : String.valueOf(step),
                        String.valueOf(w.get("bits_per_weight")));
            }
        }
        return sb.append(t.render()).toString();
    }

    /** Bytes below 1 KiB exactly ({@code 576 B}), larger sizes in binary units with one decimal ({@code 2.1 MiB}). */
    public static String size(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static String oneLine(String s) {
        String flat = s.replace("\r", "").replace('\n', ' ');
        return flat.length() > 80 ? flat.substring(0, 77) + "..." : flat;
    }

}
