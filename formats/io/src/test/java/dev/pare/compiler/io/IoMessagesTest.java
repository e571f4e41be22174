package dev.pare.compiler.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IoMessagesTest {

    @TempDir Path dir;

    @Test
    void aPathOnlyExceptionSaysWhatWentWrong() {
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> Files.size(dir.resolve("gone")));
        assertEquals(dir.resolve("gone") + ": no such file or directory", IoMessages.describe(missing));
        assertEquals("/a -> /b: directory not empty", IoMessages.describe(new DirectoryNotEmptyException("/a") {
            @Override public String getOtherFile() { return "/b"; }
        }));
    }

    @Test
    void aReasonOrAPlainMessageIsKept() {
        assertEquals("/a: No space left on device", IoMessages.describe(new FileSystemException("/a", null, "No space left on device")));
        assertEquals("disk on fire", IoMessages.describe(new IOException("disk on fire")));
        assertEquals("IOException", IoMessages.describe(new IOException()));
    }

    @Test
    void removeNowDeletesAFolderTreeAndNeverThrows() throws IOException {
        Path tree = Files.createDirectories(dir.resolve(".out.mlpackage.1/Data/weights"));
        Files.write(tree.resolve("weight.bin"), new byte[] {1, 2, 3});
        Path root = dir.resolve(".out.mlpackage.1");
        assertTrue(TempFiles.removeNow(root));
        assertFalse(Files.exists(root));
        assertTrue(TempFiles.removeNow(root), "already gone");
    }
}
