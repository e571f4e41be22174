package dev.pare.compiler.data;

import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Graph;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.List;

/** Graph inputs for reader tests, written like {@code "x:f32[N,1,2,2]"}. */
final class ModelInputs {

    private ModelInputs() {}

    static List<Value> of(String... specs) {
        Rewriter rw = new Graph("g").rewriter();
        List<Value> out = new ArrayList<>();
        for (String s : specs) {
            String name = s.substring(0, s.lastIndexOf(':'));
            String type = s.substring(s.lastIndexOf(':') + 1);
            DType dtype = DType.fromShortName(type.substring(0, type.indexOf('['))).orElseThrow();
            List<Dim> dims = new ArrayList<>();
            for (String d : type.substring(type.indexOf('[') + 1, type.length() - 1).split(",")) {
                dims.add(d.chars().allMatch(Character::isDigit) ? Dim.of(Long.parseLong(d)) : Dim.of(d));
            }
            out.add(rw.addInput(name, new TensorType(dtype, dims)));
        }
        return out;
    }
}
