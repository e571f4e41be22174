package dev.pare.spi;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.regex.Pattern;

/**
 * Every {@link DiagnosticCatalog} on a class path, merged: one entry per code, with the catalogue
 * that owns it. A code declared by two catalogues is refused when they are loaded, naming both.
 */
public final class DiagnosticCatalogs {

    /** A catalogued code and who declares it. */
    public record Entry(DiagnosticCode code, String owner) {}

    /** Letters then digits, as printed in {@code error[CODE]}. */
    private static final Pattern CODE = Pattern.compile("[A-Z]{1,4}[0-9]{3}");

    private final Map<String, Entry> entries;

    private DiagnosticCatalogs(Map<String, Entry> entries) { this.entries = entries; }

    /** The catalogues {@code loader} can see. */
    public static DiagnosticCatalogs load(ClassLoader loader) {
        List<DiagnosticCatalog> catalogs = new ArrayList<>();
        ServiceLoader.load(DiagnosticCatalog.class, loader).forEach(catalogs::add);
        return of(catalogs);
    }

    /**
     * The given catalogues merged.
     *
     * @throws IllegalStateException naming both owners when two declare one code, or naming the
     *     owner of a malformed code or a code without a summary
     */
    public static DiagnosticCatalogs of(List<? extends DiagnosticCatalog> catalogs) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (DiagnosticCatalog catalog : catalogs) {
            for (DiagnosticCode c : catalog.codes()) {
                String where = catalog.owner() + " (" + c.getClass().getName() + ")";
                if (c.code() == null || !CODE.matcher(c.code()).matches()) {
                    problems.add("diagnostic code '" + c.code() + "' of " + where + " is not letters then three digits");
                } else if (c.severity() == null || c.summary() == null || c.summary().isBlank()) {
                    problems.add("diagnostic code " + c.code() + " of " + where + " needs a severity and a summary");
                } else {
                    Entry first = entries.putIfAbsent(c.code(), new Entry(c, catalog.owner()));
                    if (first != null) {
                        problems.add("diagnostic code " + c.code() + " is declared by both " + first.owner() + " ("
                                + first.code().getClass().getName() + ") and " + where);
                    }
                }
            }
        }
        if (!problems.isEmpty()) throw new IllegalStateException(String.join("\n", problems));
        return new DiagnosticCatalogs(entries);
    }

    public Optional<Entry> find(String code) {
        return Optional.ofNullable(entries.get(code == null ? "" : code.trim().toUpperCase(Locale.ROOT)));
    }

    /** All entries sorted by code. */
    public List<Entry> all() {
        return entries.values().stream().sorted(Comparator.comparing(e -> e.code().code())).toList();
    }

    /**
     * Up to three known codes near {@code code}: the same letters with the closest numbers, else
     * codes one or two edits away.
     */
    public List<String> nearest(String code) {
        String wanted = code == null ? "" : code.trim().toUpperCase(Locale.ROOT);
        String letters = wanted.replaceAll("[0-9].*", "");
        int number = parseDigits(wanted.substring(letters.length()));
        List<String> sameLetters = entries.keySet().stream()
                .filter(k -> !letters.isEmpty() && k.replaceAll("[0-9].*", "").equals(letters))
                .sorted(Comparator.comparingInt((String k) -> Math.abs(parseDigits(k.substring(letters.length())) - number))
                        .thenComparing(k -> k))
                .limit(3).toList();
        if (!sameLetters.isEmpty()) return sameLetters;
        return entries.keySet().stream().filter(k -> distance(k, wanted) <= 2).sorted().limit(3).toList();
    }

    private static int parseDigits(String s) {
        return s.matches("[0-9]{1,6}") ? Integer.parseInt(s) : 0;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            int[] cur = new int[b.length() + 1];
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            prev = cur;
        }
        return prev[b.length()];
    }
}
