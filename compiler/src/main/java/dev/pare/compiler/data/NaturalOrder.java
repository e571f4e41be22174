package dev.pare.compiler.data;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * File-name order with digit runs compared as numbers: {@code 2.npy} before {@code 10.npy}.
 * Samples are taken in this order, and labels follow it.
 */
final class NaturalOrder implements Comparator<String> {

    static final NaturalOrder INSTANCE = new NaturalOrder();
    static final Comparator<Path> BY_FILE_NAME = Comparator.comparing(p -> p.getFileName().toString(), INSTANCE);

    @Override public int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char x = a.charAt(i);
            char y = b.charAt(j);
            if (Character.isDigit(x) && Character.isDigit(y)) {
                int ei = digitsEnd(a, i);
                int ej = digitsEnd(b, j);
                int c = new BigInteger(a.substring(i, ei)).compareTo(new BigInteger(b.substring(j, ej)));
                if (c != 0) return c;
                i = ei;
                j = ej;
            } else {
                if (x != y) return Character.compare(x, y);
                i++;
                j++;
            }
        }
        int c = Integer.compare(a.length() - i, b.length() - j);
        // equal up to numbers written differently (01 vs 1): fall back to plain order so the order is total
        return c != 0 ? c : a.compareTo(b);
    }

    private static int digitsEnd(String s, int i) {
        while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
        return i;
    }
}
