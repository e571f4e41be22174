package dev.pare.compiler.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A BERT-uncased WordPiece tokenizer for ASCII text, with the vocabulary read from a Hugging Face
 * {@code tokenizer.json}: lower-case, split on whitespace and punctuation, then greedy
 * longest-match word pieces ({@code ##} continuations, {@code [UNK]} for words that do not split).
 * Enough to give the report realistic MiniLM token ids; accents and CJK handling are not needed.
 */
public final class WordPiece {

    private final Map<String, Integer> vocab;
    private final int unknown;

    private WordPiece(Map<String, Integer> vocab) {
        this.vocab = vocab;
        this.unknown = id("[UNK]");
    }

    /** Reads the {@code "vocab": {...}} object of {@code tokenizerJson}. */
    public static WordPiece load(Path tokenizerJson) throws IOException {
        String json = Files.readString(tokenizerJson);
        int at = json.indexOf("\"vocab\"");
        if (at < 0) throw new IOException(tokenizerJson + ": no \"vocab\" object");
        int i = json.indexOf('{', at) + 1;
        Map<String, Integer> vocab = new HashMap<>();
        while (true) {
            i = skipSpace(json, i);
            if (json.charAt(i) == '}') break;
            if (json.charAt(i) == ',') {
                i = skipSpace(json, i + 1);
            }
            StringBuilder token = new StringBuilder();
            i = readString(json, i, token);
            i = skipSpace(json, i);
            if (json.charAt(i) != ':') throw new IOException(tokenizerJson + ": expected ':' after vocab entry \"" + token + "\"");
            i = skipSpace(json, i + 1);
            int end = i;
            while (Character.isDigit(json.charAt(end))) end++;
            vocab.put(token.toString(), Integer.parseInt(json.substring(i, end)));
            i = end;
        }
        return new WordPiece(vocab);
    }

    private static int skipSpace(String s, int i) {
        while (Character.isWhitespace(s.charAt(i))) i++;
        return i;
    }

    /** Reads the JSON string starting at the quote at {@code i} into {@code into}; returns the index after it. */
    private static int readString(String s, int i, StringBuilder into) throws IOException {
        if (s.charAt(i) != '"') throw new IOException("expected a JSON string at offset " + i);
        i++;
        while (s.charAt(i) != '"') {
            char c = s.charAt(i++);
            if (c != '\\') {
                into.append(c);
                continue;
            }
            char e = s.charAt(i++);
            switch (e) {
                case 'n': into.append('\n'); break;
                case 't': into.append('\t'); break;
                case 'r': into.append('\r'); break;
                case 'b': into.append('\b'); break;
                case 'f': into.append('\f'); break;
                case 'u': into.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
                default: into.append(e); // \" \\ \/
            }
        }
        return i + 1;
    }

    /** The id of {@code token}; it must be in the vocabulary. */
    public int id(String token) {
        Integer id = vocab.get(token);
        if (id == null) throw new IllegalArgumentException("token " + token + " is not in the vocabulary");
        return id;
    }

    /** Token ids of {@code text}, without [CLS]/[SEP]. */
    public List<Integer> encode(String text) {
        List<Integer> ids = new ArrayList<>();
        for (String word : words(text.toLowerCase(Locale.ROOT))) pieces(word, ids);
        return ids;
    }

    private static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean punct = c < 128 && !Character.isLetterOrDigit(c) && !Character.isWhitespace(c);
            if (Character.isWhitespace(c) || punct) {
                if (word.length() > 0) words.add(word.toString());
                word.setLength(0);
                if (punct) words.add(String.valueOf(c));
            } else {
                word.append(c);
            }
        }
        if (word.length() > 0) words.add(word.toString());
        return words;
    }

    private void pieces(String word, List<Integer> into) {
        List<Integer> found = new ArrayList<>();
        int start = 0;
        while (start < word.length()) {
            Integer match = null;
            int end = word.length();
            for (; end > start; end--) {
                String piece = (start > 0 ? "##" : "") + word.substring(start, end);
                match = vocab.get(piece);
                if (match != null) break;
            }
            if (match == null) {
                into.add(unknown);
                return;
            }
            found.add(match);
            start = end;
        }
        into.addAll(found);
    }
}
