package dev.pare.ir;

import java.util.List;

/** An immutable, typed node attribute. The ONNX attribute kinds map one to one. */
public sealed interface Attribute {

    /** The ONNX {@code AttributeType} code of this kind. */
    int kindCode();

    record FloatAttr(float value) implements Attribute { public int kindCode() { return 1; } }

    record IntAttr(long value) implements Attribute { public int kindCode() { return 2; } }

    record StringAttr(String value) implements Attribute { public int kindCode() { return 3; } }

    record TensorAttr(TensorData value) implements Attribute { public int kindCode() { return 4; } }

    record GraphAttr(Graph value) implements Attribute { public int kindCode() { return 5; } }

    record FloatsAttr(List<Float> values) implements Attribute {
        public FloatsAttr { values = List.copyOf(values); }
        public int kindCode() { return 6; }
    }

    record IntsAttr(List<Long> values) implements Attribute {
        public IntsAttr { values = List.copyOf(values); }
        public int kindCode() { return 7; }
    }

    record StringsAttr(List<String> values) implements Attribute {
        public StringsAttr { values = List.copyOf(values); }
        public int kindCode() { return 8; }
    }

    record TensorsAttr(List<TensorData> values) implements Attribute {
        public TensorsAttr { values = List.copyOf(values); }
        public int kindCode() { return 9; }
    }

    record GraphsAttr(List<Graph> values) implements Attribute {
        public GraphsAttr { values = List.copyOf(values); }
        public int kindCode() { return 10; }
    }

    record SparseTensorAttr(SparseData value) implements Attribute { public int kindCode() { return 11; } }

    record SparseTensorsAttr(List<SparseData> values) implements Attribute {
        public SparseTensorsAttr { values = List.copyOf(values); }
        public int kindCode() { return 12; }
    }

    record TypeAttr(Type value) implements Attribute { public int kindCode() { return 13; } }

    record TypesAttr(List<Type> values) implements Attribute {
        public TypesAttr { values = List.copyOf(values); }
        public int kindCode() { return 14; }
    }

    /** A reference to an attribute of the enclosing function ({@code ref_attr_name}). */
    record RefAttr(String refName, int refKindCode) implements Attribute {
        public int kindCode() { return refKindCode; }
    }

    static IntAttr of(long v) { return new IntAttr(v); }

    static FloatAttr of(float v) { return new FloatAttr(v); }

    static StringAttr of(String v) { return new StringAttr(v); }

    static IntsAttr ofInts(long... v) {
        Long[] boxed = new Long[v.length];
        for (int i = 0; i < v.length; i++) boxed[i] = v[i];
        return new IntsAttr(List.of(boxed));
    }
}
