package dev.pare.spi;

/**
 * A pass plugin, found with {@link java.util.ServiceLoader} (list the class in
 * {@code META-INF/services/dev.pare.spi.PassProvider}). Providers may be built through Guice, so a
 * provider may {@code @Inject} services into its constructor; otherwise it needs a public no-arg
 * constructor.
 *
 * @param <O> the options record: its components are the pass's options (name, type, default
 *            from {@link #defaults()}, help and range from {@link Option}); its compact constructor
 *            validates them
 */
public interface PassProvider<O extends Record> {

    PassInfo info();

    /** The options with every component at its default. */
    O defaults();

    /** A fresh pass for one pipeline step; called once per step, so a pass may keep state. */
    Pass create(ScopedOptions<O> options);
}
