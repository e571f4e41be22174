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
}
