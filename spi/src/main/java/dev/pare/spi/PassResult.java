package dev.pare.spi;

/** What a pass did: whether it changed the graph. Counters go to {@link PassContext#statistics()}. */
public record PassResult(boolean changed) {
    public static final PassResult UNCHANGED = new PassResult(false);
    public static final PassResult CHANGED = new PassResult(true);

    public static PassResult of(boolean changed) { return changed ? CHANGED : UNCHANGED; }
}
