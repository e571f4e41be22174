package dev.pare.compiler.coreml;

import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * MIL identifiers for IR names. MIL accepts only {@code [A-Za-z_][A-Za-z0-9_@]*} (MIL.proto), so
 * other characters become {@code _}, a leading digit gets a {@code _} prefix, and clashes get a
 * {@code _1}, {@code _2}, ... suffix. Names are handed out in the order they are asked for, so the
 * same graph always gives the same names.
 */
final class MilNames {

    private final Set<String> taken = new HashSet<>();
    private final Map<Object, String> assigned = new IdentityHashMap<>();

    /** The identifier for {@code key} (a Value or Node), assigning one from {@code hint} on first use. */
    String of(Object key, String hint) {
        String n = assigned.get(key);
        if (n == null) {
            n = fresh(hint);
            assigned.put(key, n);
        }
        return n;
    }

    /** Whether {@code key} already has an identifier. */
    boolean has(Object key) { return assigned.containsKey(key); }

    /** A new unique identifier from {@code hint}, bound to nothing. */
    String fresh(String hint) {
        String base = sanitize(hint);
        String n = base;
        for (int i = 1; taken.contains(n); i++) n = base + "_" + i;
        taken.add(n);
        return n;
    }

    static String sanitize(String name) {
        if (name == null || name.isEmpty()) return "_";
        StringBuilder sb = new StringBuilder(name.length() + 1);
        char first = name.charAt(0);
        if (!(Character.isLetter(first) && first < 128) && first != '_') sb.append('_');
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '@';
            sb.append(ok ? c : '_');
        }
        return sb.toString();
    }

    static boolean isValid(String name) {
        return !name.isEmpty() && sanitize(name).equals(name);
    }
}
