package dev.pare.compiler.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** results.json, results.csv and the structure of index.html for a small made-up sweep. */
class SweepFilesTest {

    @TempDir Path dir;

    /** Four points: a front of two, one dominated, one failed. */
    static SweepReport sample() {
        List<PointResult> points = List.of(
                new PointResult("aaaa", "PALETTIZE_4BIT", "palettize{nbits=4},\nCLEANUP", "onnx", "points/aaaa/model.onnx", 321_622, 300,
                        0.98, 0.9833333333, 21.2232, 0.997542, 1.0, 1.5, 2.25, null),
                new PointResult("bbbb", "QUANTIZE_INT8", "quantize_weights", "mlpackage", "points/bbbb/model.mlpackage", 596_680, 300,
                        0.98, 0.9833333333, 46.47, 0.999991, 1.0, 0.5, 2.0, null),
                new PointResult("cccc", "nbits=2", "palettize{nbits=2}, \"a,b\"", "onnx", "points/cccc/model.onnx", 194_474, 300,
                        0.823333333, 0.9833333333, Double.POSITIVE_INFINITY, 0.771581, 0.83, 1.25, 2.5, null),
                PointResult.failed("dddd", new SweepPoint("broken <b>", "fail_on_op", "onnx"), "pass failed at node 'add': no"));
        return new SweepReport("m/model.onnx", 2_190_000, Quality.ACCURACY, 300, "test_x.f32", "test_y.u8", 0.9833333333, points,
                ParetoFront.of(points, Quality.ACCURACY));
    }

    @Test
    void jsonHasEveryKeySortedAndTheFront() {
        String json = SweepFiles.json(sample());
        assertTrue(json.startsWith("""
                {
                  "inputs": "test_x.f32",
                  "labels": "test_y.u8",
                  "model": "m/model.onnx",
                  "model_bytes": 2190000,
                  "pareto_front": ["nbits=2", "PALETTIZE_4BIT"],
                  "points": [
                    {
                      "accuracy": 0.98,
                      "bytes": 321622,
                      "compile_seconds": 1.5,
                      "cosine": 0.997542,
                      "error": null,
                      "eval_seconds": 2.25,
                      "format": "onnx",
                      "id": "aaaa",
                      "name": "PALETTIZE_4BIT",
                      "output": "points/aaaa/model.onnx",
                      "pareto": true,
                      "pipeline": "palettize{nbits=4},\\nCLEANUP",
                      "samples": 300,
                      "snr_db": 21.2232,
                      "top1_agreement": 1
                    },
                """), json);
        assertTrue(json.contains("\"snr_db\": \"inf\""), json);
        assertTrue(json.contains("""
                    {
                      "accuracy": null,
                      "bytes": null,
                      "compile_seconds": null,
                      "cosine": null,
                      "error": "pass failed at node 'add': no",
                      "eval_seconds": null,
                      "format": "onnx",
                      "id": "dddd",
                      "name": "broken <b>",
                      "output": null,
                      "pareto": false,
                      "pipeline": "fail_on_op",
                      "samples": null,
                      "snr_db": null,
                      "top1_agreement": null
                    }
                  ],
                  "quality": "accuracy",
                  "reference_accuracy": 0.983333,
                  "samples": 300,
                  "schema_version": 1
                }
                """), json);
    }

    @Test
    void csvQuotesWhatNeedsIt() {
        assertEquals("name,id,format,bytes,accuracy,snr_db,cosine,top1_agreement,pareto,samples,compile_seconds,eval_seconds,output,error,pipeline\r\n"
                + "PALETTIZE_4BIT,aaaa,onnx,321622,0.98,21.2232,0.997542,1,true,300,1.500,2.250,points/aaaa/model.onnx,,\"palettize{nbits=4},\nCLEANUP\"\r\n"
                + "QUANTIZE_INT8,bbbb,mlpackage,596680,0.98,46.47,0.999991,1,false,300,0.500,2.000,points/bbbb/model.mlpackage,,quantize_weights\r\n"
                + "nbits=2,cccc,onnx,194474,0.823333,inf,0.771581,0.83,true,300,1.250,2.500,points/cccc/model.onnx,,\"palettize{nbits=2}, \"\"a,b\"\"\"\r\n"
                + "broken <b>,dddd,onnx,,,,,,false,,,,,pass failed at node 'add': no,fail_on_op\r\n",
                SweepFiles.csv(sample()));
    }

    @Test
    void pageHasOnePointPerResultTheFrontMarkedAndOneRowPerPoint() throws Exception {
        SweepFiles.write(dir, sample());
        String html = Files.readString(dir.resolve("index.html"));
        Document doc = parse(html);
        List<Element> circles = byClass(doc, "circle", "point");
        assertEquals(List.of("aaaa", "bbbb", "cccc"), circles.stream().map(c -> c.getAttribute("data-id")).toList());
        assertEquals(List.of("aaaa", "cccc"), byClass(doc, "circle", "pareto").stream().map(c -> c.getAttribute("data-id")).toList());
        assertEquals(1, byClass(doc, "polyline", "front").size());
        Element table = elements(doc.getElementsByTagName("table")).stream().filter(t -> t.getAttribute("id").equals("results"))
                .findFirst().orElseThrow();
        List<Element> rows = elements(((Element) table.getElementsByTagName("tbody").item(0)).getElementsByTagName("tr"));
        assertEquals(List.of("aaaa", "bbbb", "cccc", "dddd"), rows.stream().map(r -> r.getAttribute("data-id")).toList());
        assertEquals(List.of("pareto", "", "pareto", "failed"), rows.stream().map(r -> r.getAttribute("class")).toList());
        // each row: its pipeline text and a relative link to its output; the failed one its error
        assertEquals("palettize{nbits=4},\nCLEANUP", rows.get(0).getElementsByTagName("pre").item(0).getTextContent());
        assertEquals("points/aaaa/model.onnx", ((Element) rows.get(0).getElementsByTagName("a").item(0)).getAttribute("href"));
        assertEquals("failed: pass failed at node 'add': no", rows.get(3).getLastChild().getTextContent());
        assertEquals("broken <b>", rows.get(3).getElementsByTagName("summary").item(0).getTextContent());
        List<String> headers = new ArrayList<>();
        for (Element th : elements(table.getElementsByTagName("th"))) if (th.hasAttribute("data-sort")) headers.add(th.getAttribute("data-sort"));
        assertEquals(List.of("order", "name", "format", "bytes", "accuracy", "snr", "cosine", "top1", "pareto", "compile", "eval"), headers);
        assertEquals("★", rows.get(0).getElementsByTagName("td").item(8).getTextContent());
        // the format: a column, and a class and attribute of each point
        assertEquals(List.of("onnx", "mlpackage", "onnx", "onnx"),
                rows.stream().map(r -> r.getElementsByTagName("td").item(2).getTextContent()).toList());
        assertEquals(List.of("onnx", "mlpackage", "onnx"), circles.stream().map(c -> c.getAttribute("data-format")).toList());
        assertEquals(List.of("bbbb"), byClass(doc, "circle", "fmt-mlpackage").stream().map(c -> c.getAttribute("data-id")).toList());
        // axes are labelled
        Set<String> texts = new java.util.HashSet<>();
        for (Element t : elements(doc.getElementsByTagName("text"))) texts.add(t.getTextContent());
        assertTrue(texts.containsAll(Set.of("size on disk (log scale)", "accuracy", "256.0 KiB", "512.0 KiB", "1.0 MiB", "2.0 MiB",
                "original", "PALETTIZE_4BIT", "nbits=2")), texts.toString());
    }

    @Test
    void pageFetchesNothing() throws Exception {
        SweepFiles.write(dir, sample());
        String html = Files.readString(dir.resolve("index.html")).toLowerCase(java.util.Locale.ROOT);
        for (String external : List.of("http:", "https:", "//", "src=", "<link", "@import", "url(")) {
            // "//" could start a protocol-relative URL; the page has no JS comments either
            assertFalse(html.contains(external), external);
        }
        assertEquals(1, html.split("<script>", -1).length - 1);
        assertEquals(1, html.split("<style>", -1).length - 1);
    }

    @Test
    void summaryFilesAreReplacedNotLeftHalfWritten() throws Exception {
        SweepFiles.write(dir, sample());
        try (var list = Files.list(dir)) {
            assertEquals(List.of("index.html", "results.csv", "results.json"),
                    list.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void labelsOfClosePointsDoNotOverlap() {
        List<double[]> placed = new ArrayList<>();
        assertEquals(List.of(100.0, 50.0), box(SweepHtml.placeLabel(placed, 100, 50, 10)));
        assertEquals(List.of(120.0, 64.0), box(SweepHtml.placeLabel(placed, 120, 50, 10)));  // would overlap: a line down
        assertEquals(List.of(110.0, 36.0), box(SweepHtml.placeLabel(placed, 110, 50, 10)));  // both taken: a line up
        assertEquals(List.of(300.0, 50.0), box(SweepHtml.placeLabel(placed, 300, 50, 10)));  // far enough right
    }

    private static List<Double> box(double[] at) { return List.of(at[0], at[1]); }

    static Document parse(String html) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(html.getBytes(StandardCharsets.UTF_8)));
    }

    static List<Element> byClass(Document doc, String tag, String cls) {
        List<Element> out = new ArrayList<>();
        for (Element e : elements(doc.getElementsByTagName(tag))) {
            if (List.of(e.getAttribute("class").split(" ")).contains(cls)) out.add(e);
        }
        return out;
    }

    static List<Element> elements(NodeList nodes) {
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) out.add((Element) nodes.item(i));
        return out;
    }
}
