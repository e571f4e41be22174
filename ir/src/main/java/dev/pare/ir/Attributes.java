package dev.pare.ir;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** An immutable, insertion-ordered map of attribute name to attribute. */
public final class Attributes {

    private static final Attributes EMPTY = new Attributes(new LinkedHashMap<>());

    private final Map<String, Attribute> map;

    private Attributes(LinkedHashMap<String, Attribute> map) {
        this.map = Collections.unmodifiableMap(map);
    }

    public static Attributes empty() { return EMPTY; }

    public static Attributes of(Map<String, ? extends Attribute> entries) {
        return new Attributes(new LinkedHashMap<>(entries));
    }

    public static Builder builder() { return new Builder(); }

    public Map<String, Attribute> asMap() { return map; }

    public Set<String> names() { return map.keySet(); }

    public int size() { return map.size(); }

    public boolean isEmpty() { return map.isEmpty(); }

    public Optional<Attribute> get(String name) { return Optional.ofNullable(map.get(name)); }

    public long getInt(String name, long fallback) {
        return map.get(name) instanceof Attribute.IntAttr a ? a.value() : fallback;
    }

    public float getFloat(String name, float fallback) {
        return map.get(name) instanceof Attribute.FloatAttr a ? a.value() : fallback;
    }

    public String getString(String name, String fallback) {
        return map.get(name) instanceof Attribute.StringAttr a ? a.value() : fallback;
    }

    /** A copy with {@code name} set (replacing in place, or appended). */
    public Attributes with(String name, Attribute value) {
        LinkedHashMap<String, Attribute> m = new LinkedHashMap<>(map);
        m.put(name, value);
        return new Attributes(m);
    }

    public Attributes without(String name) {
        LinkedHashMap<String, Attribute> m = new LinkedHashMap<>(map);
        m.remove(name);
        return new Attributes(m);
    }

    @Override public boolean equals(Object o) { return o instanceof Attributes a && a.map.equals(map); }

    @Override public int hashCode() { return map.hashCode(); }

    @Override public String toString() { return map.toString(); }

    public static final class Builder {
        private final LinkedHashMap<String, Attribute> m = new LinkedHashMap<>();

        public Builder put(String name, Attribute value) {
            if (m.putIfAbsent(name, value) != null) throw new IllegalArgumentException("duplicate attribute " + name);
            return this;
        }

        public Attributes build() { return new Attributes(new LinkedHashMap<>(m)); }
    }
}
