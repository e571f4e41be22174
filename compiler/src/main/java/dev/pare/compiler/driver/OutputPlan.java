package dev.pare.compiler.driver;

import dev.pare.compiler.io.TempFiles;
import dev.pare.spi.ModelFormat;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The files an output will create or replace ({@link ModelFormat#outputFiles}: e.g. {@code out.onnx}
 * and {@code out.onnx.data}, or a whole {@code .mlpackage} folder), checked before any pass runs:
 * <ul>
 *   <li>none of them is, or holds, a file the input reads ({@link ModelFormat#inputFiles}: the model
 *       file, its external data, its package); links and hard links count as the same file. This
 *       holds even with {@code --force};</li>
 *   <li>the output is not written inside the input's package folder;</li>
 *   <li>an existing file is replaced only with {@code overwrite} ({@code --force}), each named;</li>
 *   <li>the output's folder exists, is a folder, and takes new files.</li>
 * </ul>
 * Every refusal is a {@link CompilationException} whose one-line message names the file.
 *
 * @param output the output path the user gave
 * @param files  what writing it may create or replace, {@code output} first
 */
public record OutputPlan(Path output, List<Path> files) {

    public OutputPlan {
        files = List.copyOf(files);
    }

    /** What {@code writer} creates when it writes {@code output}. */
    public static OutputPlan of(ModelFormat writer, Path output) {
        List<Path> files = writer.outputFiles(output);
        return new OutputPlan(output, files.isEmpty() ? List.of(output) : files);
    }

    /**
     * Refuses the plan if it would touch {@code inputFiles} (read from {@code input}, which comes
     * first), replace an existing file without {@code overwrite}, or cannot write in its folder.
     */
    public void check(Path input, List<Path> inputFiles, boolean overwrite) throws CompilationException {
        checkInputs(input, inputFiles);
        checkExisting(overwrite);
        checkFolder();
    }

    /** No planned file is, or holds, one of {@code inputFiles}; the output is not inside an input package. */
    public void checkInputs(Path input, List<Path> inputFiles) throws CompilationException {
        for (Path planned : files) {
            for (Path read : inputFiles) checkNotInput(planned, read, input);
        }
        for (Path read : inputFiles) {
            if (Files.isDirectory(read) && inside(output.toAbsolutePath().getParent(), read)) {
                throw refuse(output, "is inside the input package " + read + "; writing there would change the input "
                        + "(choose an output outside it)");
            }
        }
    }

    /** Existing planned files are replaced only with {@code overwrite}; folders only when they are the package output. */
    public void checkExisting(boolean overwrite) throws CompilationException {
        for (Path planned : files) {
            if (!Files.exists(planned, LinkOption.NOFOLLOW_LINKS)) continue;
            if (planned.equals(output) && Files.isDirectory(planned) && !isPackage(planned)) {
                throw refuse(planned, "is a directory; give a model file name");
            }
            if (!planned.equals(output) && Files.isDirectory(planned, LinkOption.NOFOLLOW_LINKS)) {
                throw refuse(planned, "is a directory, and writing " + output + " would replace it");
            }
            if (!overwrite) throw refuse(planned, "already exists (use --force to replace it)");
        }
    }

    /** {@code planned} must neither be {@code read} (by any name) nor a folder holding it. */
    private void checkNotInput(Path planned, Path read, Path input) throws CompilationException {
        boolean isInputModel = read.equals(input);
        if (lexicallyEqual(planned, read) || sameFile(planned, read)) {
            if (isInputModel && planned.equals(output)) throw refuse(output, "output would overwrite the input model");
            String which = lexicallyEqual(planned, read) ? "this file" : "this file (it is " + read + ")";
            throw refuse(planned, "the input " + input + " reads " + which + "; writing " + output
                    + " would replace it (choose another output name)");
        }
        if (Files.isDirectory(planned) && inside(read, planned)) {
            throw refuse(planned, "holds " + read + ", which the input " + input + " reads; writing " + output
                    + " would replace it (choose another output name)");
        }
    }

    /** The output's folder: it must exist, be a folder and take new files (probed with a temporary file). */
    public void checkFolder() throws CompilationException {
        Path folder = output.toAbsolutePath().getParent();
        if (folder == null) return;
        if (!Files.exists(folder)) throw failed(output, "directory " + folder + " does not exist");
        if (!Files.isDirectory(folder)) throw failed(output, folder + " is not a directory");
        Path probe = null;
        try {
            probe = TempFiles.track(Files.createTempFile(folder, ".pare-write-check.", ".tmp"));
        } catch (AccessDeniedException e) {
            throw failed(output, "cannot create files in " + folder + ": permission denied");
        } catch (NoSuchFileException e) {
            throw failed(output, "cannot create files in " + folder + " (the file system does not allow it)");
        } catch (FileSystemException e) {
            String reason = e.getReason() == null ? e.getClass().getSimpleName() : e.getReason();
            throw failed(output, "cannot create files in " + folder + ": " + reason);
        } catch (IOException e) {
            throw failed(output, "cannot create files in " + folder + ": " + e.getMessage());
        } finally {
            if (probe != null) {
                try {
                    Files.deleteIfExists(probe);
                    TempFiles.release(probe);
                } catch (IOException ignored) {
                    // a probe that cannot be removed is harmless: hidden, empty, and named as ours
                }
            }
        }
    }

    private static boolean lexicallyEqual(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    /** The same file by any name (symbolic or hard link); false when either does not exist. */
    private static boolean sameFile(Path a, Path b) {
        if (!Files.exists(a) || !Files.exists(b)) return false;
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether {@code p} is {@code folder} or lies inside it, comparing real paths. */
    private static boolean inside(Path p, Path folder) {
        Optional<Path> real = real(p);
        Optional<Path> realFolder = real(folder);
        if (real.isPresent() && realFolder.isPresent()) return real.get().startsWith(realFolder.get());
        return p.toAbsolutePath().normalize().startsWith(folder.toAbsolutePath().normalize());
    }

    /** The real path of {@code p}, or of its nearest existing parent with the rest appended. */
    private static Optional<Path> real(Path p) {
        Path absolute = p.toAbsolutePath().normalize();
        Path rest = null;
        for (Path at = absolute; at != null; at = at.getParent()) {
            try {
                Path r = at.toRealPath();
                return Optional.of(rest == null ? r : r.resolve(rest));
            } catch (IOException e) {
                Path name = at.getFileName();
                if (name == null) return Optional.empty();
                rest = rest == null ? name : name.resolve(rest);
            }
        }
        return Optional.empty();
    }

    private static boolean isPackage(Path p) {
        Path name = p.getFileName();
        return name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".mlpackage");
    }

    private static CompilationException refuse(Path file, String what) {
        return new CompilationException(CompilationException.Kind.BAD_REQUEST, file + ": " + what);
    }

    private static CompilationException failed(Path file, String what) {
        return new CompilationException(CompilationException.Kind.OUTPUT_FAILED, file + ": " + what);
    }
}
