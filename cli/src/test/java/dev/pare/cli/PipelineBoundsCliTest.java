package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --pipeline @FILE} and includes through the command: other files are neither read nor
 * shown, and hostile pipeline text ends in one error with exit 2, not a JVM error.
 */
class PipelineBoundsCliTest {

    @TempDir Path dir;
    TinyModelWorkspace ws;
    MemoryFormat mem;
    Path in;
    Path out;

    @BeforeEach
    void setUp() throws IOException {
        ws = new TinyModelWorkspace(dir);
        mem = ws.mem;
        in = ws.in;
        out = ws.out;
    }

    private CliRun compile(String pipeline) { return ws.compile(pipeline); }

    private void assertFails(CliRun r, String err) {
        assertEquals(new CliRun(2, "", err), r);
        assertFalse(Files.exists(out));
    }

    @Test
    void passwordFileIsNotEchoed() throws IOException {
        Path passwd = Files.writeString(dir.resolve("passwd"), "root:x:0:0:root:/root:/bin/bash\n");
        assertFails(compile("@" + passwd), passwd + ": error[P018]: " + passwd + " is not a pipeline file: it does not start "
                + "with an include, a pipeline definition or a step (its content is not shown)\n");
    }

    @Test
    void includeOfAFileOutsideIsRefused() throws IOException {
        Files.writeString(dir.resolve("shadow"), "root:$6$secret:19000:0:99999:7:::\n");
        Path work = Files.createDirectories(dir.resolve("work"));
        Path main = Files.writeString(work.resolve("steps.pipeline"), "include \"../shadow\";\nCLEANUP;\n");
        assertFails(compile("@" + main), main + """
                :1:9: error[P017]: include "../shadow" is outside the including file's folder and the pipeline path; includes are resolved only inside them
                    include "../shadow";
                            ^~~~~~~~~~~
                """);
    }

    @Test
    void deviceIsNotRead() {
        assumeTrue(Files.exists(Path.of("/dev/zero")));
        assertFails(compile("@/dev/zero"),
                "/dev/zero: error[P015]: cannot read pipeline file /dev/zero: it is not a regular file (a device, FIFO or socket)\n");
    }

    @Test
    void fiveThousandNestedFixpoints() throws IOException {
        Path deep = Files.writeString(dir.resolve("deep.pipeline"),
                "fixpoint {\n".repeat(5000) + "dead_code_elimination" + "}".repeat(5000) + ";\n");
        assertFails(compile("@" + deep), deep + """
                :65:10: error[P019]: brackets nest deeper than the limit of 64
                    fixpoint {
                             ^
                """);
    }
}
