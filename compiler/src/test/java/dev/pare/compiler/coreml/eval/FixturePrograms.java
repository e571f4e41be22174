package dev.pare.compiler.coreml.eval;

import dev.pare.compiler.coreml.MilTypes;
import dev.pare.compiler.coreml.MilValues;
import dev.pare.compiler.coreml.MlPackage;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.Attributes;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.MilParams;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.Type;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test-only bridge from a fixture package's main function to a graph of mil nodes, just enough for
 * the interpreter tests (the real Core ML reader is a separate component): const ops become
 * constants, constexpr attributes and inline bindings become generated constants, every op a node
 * whose {@code params} name its operands.
 */
final class FixturePrograms {

    private FixturePrograms() {}

    static Graph mainGraph(MlPackage pkg) throws Exception {
        MilProto.Function fn = pkg.program().getFunctionsOrThrow("main");
        MilProto.Block block = fn.getBlockSpecializationsOrThrow(fn.getOpset());
        Graph g = new Graph("main");
        Rewriter rw = g.rewriter();
        Map<String, Value> byName = new HashMap<>();
        for (MilProto.NamedValueType in : fn.getInputsList()) {
            byName.put(in.getName(), rw.addInput(in.getName(), MilTypes.tensorType(in.getType().getTensorType())));
        }
        for (MilProto.Operation op : block.getOperationsList()) {
            String name = op.getAttributesOrThrow("name").getImmediateValue().getTensor().getStrings().getValues(0);
            if (op.getType().equals("const")) {
                String out = op.getOutputs(0).getName();
                byName.put(out, rw.addConstant(out, value(pkg, op.getAttributesOrThrow("val"))));
                continue;
            }
            List<String> params = new ArrayList<>();
            List<Value> operands = new ArrayList<>();
            for (Map.Entry<String, MilProto.Value> a : op.getAttributesMap().entrySet()) {
                if (a.getKey().equals("name")) continue;
                params.add(a.getKey());
                operands.add(rw.addConstant(rw.uniqueValueName(name + "_" + a.getKey()), value(pkg, a.getValue())));
            }
            for (Map.Entry<String, MilProto.Argument> in : op.getInputsMap().entrySet()) {
                for (MilProto.Argument.Binding b : in.getValue().getArgumentsList()) {
                    params.add(in.getKey());
                    if (b.hasValue()) {
                        operands.add(rw.addConstant(rw.uniqueValueName(name + "_" + in.getKey()), value(pkg, b.getValue())));
                    } else {
                        Value v = byName.get(b.getName());
                        if (v == null) throw new IllegalStateException(name + ": unknown value " + b.getName());
                        operands.add(v);
                    }
                }
            }
            List<String> outNames = new ArrayList<>();
            List<Type> outTypes = new ArrayList<>();
            for (MilProto.NamedValueType o : op.getOutputsList()) {
                outNames.add(o.getName());
                outTypes.add(MilTypes.tensorType(o.getType().getTensorType()));
            }
            List<Value> results = rw.createNode(rw.uniqueNodeName(name), "mil." + op.getType(), operands, outNames, outTypes,
                    Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(params))), Location.UNKNOWN).results();
            for (Value r : results) byName.put(r.name(), r);
        }
        for (String out : block.getOutputsList()) rw.addOutput(byName.get(out));
        return g;
    }

    private static TensorData value(MlPackage pkg, MilProto.Value v) throws Exception {
        return v.hasBlobFileValue() ? pkg.blobValue(v) : MilValues.immediate(v, pkg.modelFile());
    }
}
