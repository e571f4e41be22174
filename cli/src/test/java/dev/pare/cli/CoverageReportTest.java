package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/corpus-coverage.sh --report-only}: the "blocked by" column of coverage.md shortens
 * MIL001's node lists to counts, counting the nodes that pare's message leaves as "and N more".
 */
class CoverageReportTest {

    @TempDir Path dir;

    @Test
    void unsupportedOpNodeListsBecomeCountsIncludingTheNodesLeftUnnamed() throws Exception {
        String error = "convert_to_mil: no MIL lowering for 3 op types: Det (det), ScatterND (s1, s2, s3 and 105 more), "
                + "com.microsoft.Gelu (g1, g2)";
        String header = "id\tfamily\tsource\tmib\tconverted\terror\tworst_rel_error\tworst_output\tworst_output_max_abs\t"
                + "min_snr_db\tcompile_s\tcompare_s\tinputs\tworst_rel_error_ort_optimized";
        String row = "blocked_model\ttest family\tnpm:none@1.0.0\t1.0\tno\t" + error + "\t\t\t\t\t1.5\t\tnoise\t";
        Files.write(dir.resolve("coverage.tsv"), List.of(header, row), StandardCharsets.UTF_8);
        Process p = new ProcessBuilder("bash", "../scripts/corpus-coverage.sh", "--report-only", "--out", dir.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), log);
        String md = Files.readString(dir.resolve("coverage.md"));
        assertTrue(md.contains("| blocked_model | test family | `npm:none@1.0.0` | 1.0 | no | noise | – | "
                + "`no MIL lowering for 3 op types: Det (det), ScatterND (108 nodes), com.microsoft.Gelu (g1, g2)` | 1.5 |"), md);
    }

    @Test
    void exactSigmoidColumnCountsOnlyTheModelsItTurnsIntoMatches() throws Exception {
        String header = "id\tfamily\tsource\tmib\tconverted\terror\tworst_rel_error\tworst_output\tworst_output_max_abs\t"
                + "min_snr_db\tcompile_s\tcompare_s\tinputs\tworst_rel_error_ort_optimized\tworst_rel_error_exact_sigmoid";
        List<String> rows = List.of(header,
                // matches already: not counted again
                "plain_match\tf\tnpm:a@1\t1.0\tyes\t\t2e-05\ty\t1\t90\t1.0\t2.0\tnoise\t\t1e-06",
                // a Sigmoid miss that the exact Sigmoid turns into a match
                "sigmoid_miss\tf\tnpm:a@1\t1.0\tyes\t\t0.00012\ty\t0.00024\t76\t1.0\t2.0\tnoise\t0.00012\t2.9e-06",
                // a miss either way
                "rounding_miss\tf\tnpm:a@1\t1.0\tyes\t\t0.0005\ty\t0.16\t68\t1.0\t2.0\tlines-image\t\t0.00028",
                // a row of the earlier 14-column layout: not run with exact Sigmoids
                "old_row\tf\tnpm:a@1\t1.0\tyes\t\t3e-07\ty\t1\t90\t1.0\t2.0\tnoise\t");
        Files.write(dir.resolve("coverage.tsv"), rows, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder("bash", "../scripts/corpus-coverage.sh", "--report-only", "--out", dir.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), log);
        String md = Files.readString(dir.resolve("coverage.md"));
        assertTrue(md.contains("**4 of 4 convert; 4 of those run in both ONNX Runtime and the interpreter; 2 of 4 match ONNX\n"), md);
        assertTrue(md.contains(" Once ONNX Runtime's Sigmoid is computed\nexactly, 1 more of them match (`pare compare --exact-sigmoid`, "
                + "column \"vs ORT, exact Sigmoid\", measured on the 3 models\nwith Sigmoid nodes that were run so).\n"), md);
        assertTrue(md.contains("| vs ORT optimized | vs ORT, exact Sigmoid |\n"), md);
        assertTrue(md.contains("| sigmoid_miss | f | `npm:a@1` | 1.0 | yes | noise | 0.00012 (`y`, 0.00024) |  | 1.0 | 2.0 | 0.00012 | 2.9e-06 |\n"), md);
        assertTrue(md.contains("| old_row | f | `npm:a@1` | 1.0 | yes | noise | 3e-07 (`y`, 1) |  | 1.0 | 2.0 | – | – |\n"), md);
    }
}
