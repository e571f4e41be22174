package dev.pare.compiler.registry;

import java.util.Locale;

/** Spelling conversions between Java names and pipeline names. */
public final class Names {

    private Names() {}

    /** {@code maxIterations} → {@code max_iterations}, {@code useHTTPServer} → {@code use_http_server}. */
    public static String lowerSnake(String camel) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            if (Character.isUpperCase(c) && i > 0) {
                char prev = camel.charAt(i - 1);
                boolean nextLower = i + 1 < camel.length() && Character.isLowerCase(camel.charAt(i + 1));
                if (Character.isLowerCase(prev) || Character.isDigit(prev) || (Character.isUpperCase(prev) && nextLower)) {
                    sb.append('_');
                }
            }
            sb.append(Character.toLowerCase(c));
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }
}
