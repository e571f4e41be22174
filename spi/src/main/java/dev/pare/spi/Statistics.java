package dev.pare.spi;

/** Named counters a pass increments, shown by {@code --pass-statistics}. */
public interface Statistics {
    void add(String counter, long delta);

    default void increment(String counter) { add(counter, 1); }
}
