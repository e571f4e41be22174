package dev.pare.ir;

/** One dimension of a tensor shape: a fixed size, a named symbolic size, or unknown. */
public sealed interface Dim {

    record Fixed(long size) implements Dim {
        public Fixed {
            if (size < 0) throw new IllegalArgumentException("negative dimension " + size);
        }
        @Override public String toString() { return Long.toString(size); }
    }

    record Symbolic(String name) implements Dim {
        public Symbolic {
            if (name == null || name.isEmpty()) throw new IllegalArgumentException("empty symbolic dimension");
        }
        @Override public String toString() { return name; }
    }

    /** A dimension nothing is known about (ONNX: neither dim_value nor dim_param). */
    record Unknown() implements Dim {
        @Override public String toString() { return "?"; }
    }

    static Dim of(long size) { return new Fixed(size); }

    static Dim of(String name) { return new Symbolic(name); }

    Dim UNKNOWN = new Unknown();
}
