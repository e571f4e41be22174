package dev.pare.compiler.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

class OutputPermissionsTest {

    @Test
    void modesBecomePermissions() {
        assertEquals("rw-r--r--", PosixFilePermissions.toString(OutputPermissions.permissions(0644)));
        assertEquals("rwxr-x--x", PosixFilePermissions.toString(OutputPermissions.permissions(0751)));
    }

    @Test
    void theUmaskIsReadFromProcStatusText() {
        assertEquals(027, OutputPermissions.umask("Name:\tjava\nUmask:\t0027\nState:\tR (running)\n"));
        assertEquals(022, OutputPermissions.umask("Name:\tjava\n"));   // older kernels: the usual default
        assertEquals(022, OutputPermissions.umask("Umask:\tzz\n"));
    }
}
