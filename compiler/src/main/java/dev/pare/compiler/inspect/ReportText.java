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
        sb.append("Opsets: ").append(opsets(report.opsets())).append('\n');
        if (!report.metadataProps().isEmpty()) {
            sb.append("Metadata\n");
            TextTable t = new TextTable("key", "value");
            report.metadataProps().forEach((k, v) -> t.row(k, oneLine(v)));
            sb.append(t.render());
        }

        sb.append('\n').append("Graph ").append(report.graphName()).append(": ")
          .append(plural(report.inputs().size(), "input")).append(", ")
          .append(plural(report.outputs().size(), "output")).append('\n');
        TextTable ports = new TextTable("port", "name", "type");
        for (GraphPort p : report.inputs()) ports.row("input", p.name(), p.type());
        for (GraphPort p : report.outputs()) ports.row("output", p.name(), p.type());
        sb.append(ports.render());

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
        return sb.toString();
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
    public static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
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
