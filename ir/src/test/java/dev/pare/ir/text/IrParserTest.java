package dev.pare.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.Attribute;
import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.Node;
import dev.pare.ir.OpaqueType;
import dev.pare.ir.SparseData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.ir.Verifier;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class IrParserTest {

    private static void assertRoundTrip(String text) {
        Graph g = IrParser.parse(text, "test.ir");
        assertEquals(List.of(), Verifier.verify(g));
        assertEquals(text, IrPrinter.print(g));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        """
        graph main() {
          return\s
        }
        """,
        """
        graph main(%x: f32[1,3], %y: i64[*], %z, %"odd name": ?[2,N,?,"batch size"]) {
          return %x, %y, %z, %"odd name"
        }
        """,
        """
        graph main(%x: f32[2], %s: i64[2]) {
          default %s = dense<i64[2]: [-9223372036854775808, 9223372036854775807]>
          %w: f32[2] = const dense<f32[2]: [1, -0.5]>
          %zero: f32[] = const dense<f32[]: [-0]>
          %e: f32[0] = const dense<f32[0]: []>
          %y: f32[2] = onnx.Add(%x, %w) @add
          return %y
        }
        """,
        """
        graph "torch-jit export"(%input.1: f32[1], %onnx::Add_5: f16[2], %"a:": i8[1], %"x y": i8[1]) {
          %/model/Add_output_0: f32[1] = onnx.Add(%input.1, %input.1) @/model/Add
          %a, _, %b: u8[*] = onnx.com.microsoft.Multi(%/model/Add_output_0, _, %onnx::Add_5, %"a:") @""
          onnx.Print(%a) @print
          return %/model/Add_output_0, _, %b, %"x y"
        }
        """,
        """
        graph dtypes() {
          %f16: f16[3] = const dense<f16[3]: [1, 0.33325195, 65504]>
          %bf16: bf16[2] = const dense<bf16[2]: [1, -2.5]>
          %f64: f64[2] = const dense<f64[2]: [0.1, -1.0E300]>
          %i8: i8[2] = const dense<i8[2]: [-128, 127]>
          %u8: u8[2] = const dense<u8[2]: [0, 255]>
          %i16: i16[1] = const dense<i16[1]: [-32768]>
          %u16: u16[1] = const dense<u16[1]: [65535]>
          %i32: i32[1] = const dense<i32[1]: [-2147483648]>
          %u32: u32[1] = const dense<u32[1]: [4294967295]>
          %u64: u64[1] = const dense<u64[1]: [18446744073709551615]>
          %b: bool[2] = const dense<bool[2]: [true, false]>
          %i4: i4[3] = const dense<i4[3]: [-8, 7, 0]>
          %u2: u2[2] = const dense<u2[2]: [3, 1]>
          %nan: f32[3] = const dense<f32[3]: [NaN, Infinity, -Infinity]>
          %s: str[2] = const strings<str[2]: ["a \\"q\\"\\n", ""]>
          %sp: f32[2,2] = const sparse<f32[2,2]: values=dense<f32[1]: [5]>, indices=dense<i64[1]: [3]>>
          return %f16
        }
        """,
        """
        graph attrs(%x: f32[2]) {
          %y = onnx.Op(%x) {f=1.0, g=1.0E-5, h=-Infinity, i=-3, s="text", fs=[1.0, 2.5], is=[1, -2], ss=["a", "b"], t=dense<i64[1]: [7]>, ts=[dense<i64[1]: [7]>, strings<str[1]: ["z"]>], ty=type<f32[1,N]>, tys=[type<i8[*]>, type<opaque<"onnx", "seq(f32)", hex:0a02>>], r=@ref(alpha: float), ei=ints[], ef=floats[], es=strings[], et=tensors[], eg=graphs[], esp=sparse_tensors[], ety=types[]} @op
          return %y
        }
        """,
        """
        graph outer(%c: bool[], %x: f32[2]) {
          %k: f32[2] = const dense<f32[2]: [1, 2]>
          %y: f32[2] = onnx.If(%c) {then_branch=graph then_body() {
            %t: f32[2] = onnx.Add(%x, %k) @then_add
            return %t
          }, else_branch=graph else_body() {
            %e: f32[2] = onnx.Loop(_, %c) {body=graph loop_body(%i: i64[], %cond: bool[]) {
              %z = onnx.Identity(%x) @inner
              return %cond, %z
            }} @loop
            return %e
          }} @if
          %ys = onnx.SequenceConstruct(%y) {branches=[graph a() {
            return %x
          }, graph b() {
            return %k
          }]} @seq
          return %y
        }
        """
    })
    void printsWhatItParses(String text) {
        assertRoundTrip(text);
    }

    @Test
    void readsValuesAndStructure() {
        Graph g = IrParser.parse("""
                graph g(%x: f32[2]) {
                  %w: i64[3] = const dense<i64[3]: [1, -2, 3]>
                  %y: f32[2], _ = onnx.Dropout(%x, _) {ratio=0.5} @drop
                  return %y
                }
                """);
        Value w = g.value("w").orElseThrow();
        assertEquals(Value.Kind.CONSTANT, w.kind());
        ByteBuffer b = w.data().bytes();
        assertEquals(-2, b.getLong(8));
        Node drop = g.node("drop").orElseThrow();
        assertEquals(2, drop.results().size());
        assertTrue(drop.result(1).isAbsent());
        assertTrue(drop.operand(1).isAbsent());
        assertEquals(0.5f, drop.attributes().getFloat("ratio", 0));
        assertEquals(List.of(new Value.Use(drop, 0)), g.value("x").orElseThrow().uses());
    }

    @Test
    void subgraphCapturesAreUsesOfTheOuterValue() {
        Graph g = IrParser.parse("""
                graph g(%c: bool[], %x: f32[2]) {
                  %y = onnx.If(%c) {then_branch=graph t() {
                    %z = onnx.Neg(%x) @neg
                    return %z
                  }, else_branch=graph e() {
                    return %x
                  }} @if
                  return %y
                }
                """);
        Value x = g.value("x").orElseThrow();
        assertEquals(1, x.uses().size());
        Node neg = x.uses().get(0).user();
        assertEquals("neg", neg.name());
        Graph elseBody = ((Attribute.GraphAttr) g.node("if").orElseThrow().attributes().get("else_branch").orElseThrow()).value();
        assertEquals(List.of(x), elseBody.outputs());
        assertEquals(g, elseBody.parent());
    }

    @Test
    void splatFillsLargeConstants() {
        Graph g = IrParser.parse("""
                graph g() {
                  %big: f32[4,8] = const dense<f32[4,8]: splat 0.5>
                  return %big
                }
                """);
        TensorData d = g.value("big").orElseThrow().data();
        assertEquals(128, d.byteSize());
        ByteBuffer b = d.bytes().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 32; i++) assertEquals(0.5f, b.getFloat(i * 4));
        assertTrue(IrPrinter.print(g).contains("%big: f32[4,8] = const dense<f32[4,8], 128 B, sha256:"));
    }

    @Test
    void acceptsForwardReferencesForTheVerifierToReport() {
        Graph g = IrParser.parse("""
                graph g(%x: f32[2]) {
                  %b = onnx.Neg(%a) @second
                  %a = onnx.Neg(%x) @first
                  return %b
                }
                """);
        assertEquals("%a", g.node("second").orElseThrow().operand(0).toString());
        assertEquals("V001", Verifier.verify(g).get(0).code());
    }

    @Test
    void readsTypes() {
        Graph g = IrParser.parse("""
                graph g(%a: f32[1,N,?], %b: ?[*], %c: opaque<"onnx", "seq", hex:>) {
                  return %a
                }
                """);
        TensorType a = (TensorType) g.inputs().get(0).type();
        assertEquals(List.of(Dim.of(1), Dim.of("N"), Dim.UNKNOWN), a.dims());
        assertEquals(TensorType.unranked(DType.UNDEFINED), g.inputs().get(1).type());
        assertInstanceOf(OpaqueType.class, g.inputs().get(2).type());
        assertEquals(0, ((OpaqueType) g.inputs().get(2).type()).encoded().length);
    }

    @Test
    void readsSparseAttributes() {
        Graph g = IrParser.parse("""
                graph g() {
                  %y = onnx.Constant() {sparse_value=sparse<i64[4]: values=dense<i64[2]: [7, 8]>, indices=dense<i64[2]: [0, 3]>>} @c
                  return %y
                }
                """);
        SparseData s = (SparseData) ((Attribute.SparseTensorAttr) g.node("c").orElseThrow().attributes().get("sparse_value").orElseThrow()).value();
        assertEquals(8, s.bytes().getLong(24));
    }

    @Test
    void ignoresComments() {
        Graph g = IrParser.parse("""
                // the simplest graph
                graph g(%x: f32[2]) { // inputs
                  return %x // outputs
                }
                """);
        assertEquals(1, g.outputs().size());
    }

    private static void assertError(String expected, String text) {
        IrSyntaxException e = assertThrows(IrSyntaxException.class, () -> IrParser.parse(text, "bad.ir"));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void reportsUndefinedValues() {
        assertError("bad.ir:2:21: undefined value %nope", """
                graph g(%x: f32[2]) {
                  %y = onnx.Neg(%x, %nope) @n
                  return %y
                }
                """);
        assertError("bad.ir:2:10: undefined value %missing", """
                graph g() {
                  return %missing
                }
                """);
    }

    @Test
    void reportsDigestConstants() {
        assertError("bad.ir:2:36: constant printed as a digest cannot be parsed; write its values or use 'splat'", """
                graph g() {
                  %w: f32[64] = const dense<f32[64], 256 B, sha256:0a1b2c3d4e5f>
                  return %w
                }
                """);
    }

    @Test
    void reportsSyntaxErrors() {
        assertError("bad.ir:2:33: dense<i64[3]> needs 3 values, got 2", """
                graph g() {
                  %w = const dense<i64[3]: [1, 2]>
                  return %w
                }
                """);
        assertError("bad.ir:2:28: 300 does not fit u8", """
                graph g() {
                  %w = const dense<u8[1]: [300]>
                  return %w
                }
                """);
        assertError("bad.ir:2:3: value name 'x' is already defined in graph g (0 nodes)", """
                graph g(%x: f32[2]) {
                  %x: f32[1] = const dense<f32[1]: [1]>
                  return %x
                }
                """);
        assertError("bad.ir:3:3: expected node name '@name', found 'return'", """
                graph g(%x: f32[2]) {
                  %y = onnx.Neg(%x)
                  return %y
                }
                """);
        assertError("bad.ir:2:8: op must be dialect.name, got 'Neg'", """
                graph g(%x: f32[2]) {
                  %y = Neg(%x) @n
                  return %y
                }
                """);
        assertError("bad.ir:3:1: graph g has no return statement", """
                graph g(%x: f32[2]) {
                  %y = onnx.Neg(%x) @n
                }
                """);
        assertError("bad.ir:1:13: unknown element type 'f33'", "graph g(%x: f33[2]) { return %x }");
        assertError("bad.ir:1:1: expected exactly one graph, found 2", "graph a() { return } graph b() { return }");
        assertError("bad.ir:1:30: unterminated string", "graph g() { %y = onnx.X() {s=\"abc} @n return }");
    }
}
