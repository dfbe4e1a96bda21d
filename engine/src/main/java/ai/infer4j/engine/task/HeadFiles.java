package ai.infer4j.engine.task;

import ai.infer4j.engine.io.AtomicFiles;
import ai.infer4j.engine.io.FileStamp;
import ai.infer4j.engine.error.ModelLoadException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes heads as JSON ({@code "format": "infer4j-head/1"}). Writing is deterministic:
 * the same head gives the same bytes.
 */
public final class HeadFiles {
    public static final String FORMAT = "infer4j-head/1";
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

    private HeadFiles() {
    }

    /** Reads a softmax head; a head of another type is refused. */
    public static SoftmaxHead read(Path file) {
        return softmax(readHead(file), file.toString());
    }

    /** Reads a softmax head; a head of another type is refused. */
    public static SoftmaxHead read(InputStream in, String source) {
        return softmax(readHead(in, source), source);
    }

    private static SoftmaxHead softmax(Head h, String source) {
        // a softmax head with a hidden layer (type mlp) is a softmax classifier too
        if (h instanceof SoftmaxHead s) return s;
        throw new ModelLoadException("head " + source + " is a pair head, not a softmax classifier");
    }

    /** Reads a head of any type ({@code softmax}, {@code mlp} or {@code pair}). */
    public static Head readHead(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return readHead(in, file.toString());
        } catch (IOException e) {
            throw new ModelLoadException("cannot read head " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a head of any type ({@code softmax}, {@code mlp} or {@code pair}); {@code source} names it in messages. */
    public static Head readHead(InputStream in, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(in);
        } catch (IOException e) {
            throw new ModelLoadException("head " + source + " is not valid JSON: " + e.getMessage(), e);
        }
        return fromTree(root, source);
    }

    /** Reads a softmax head through its binary copy under {@code cacheDir} (see {@link #readHead(byte[], String, Path)}). */
    public static SoftmaxHead read(Path file, Path cacheDir) {
        return softmax(readHead(file, cacheDir), file.toString());
    }

    /**
     * Reads a head of any type through its copies under {@code cacheDir}: while the file is unchanged (its stat data),
     * the head as built, without reading the JSON; else as {@link #readHead(byte[], String, Path)}.
     */
    public static Head readHead(Path file, Path cacheDir) {
        return HeadCache.read(file, null, file.toString(), cacheDir, FileStamp.SETTLED_MILLIS);
    }

    /**
     * Reads a head shipped as a class-path resource ({@code resource}, from {@link ClassLoader#getResource}) through its
     * copies under {@code cacheDir}: for a resource in a jar or a plain file, while that file is unchanged, the head as
     * built without reading the JSON (see {@link #readHead(Path, Path)}); any other resource through
     * {@link #readHead(byte[], String, Path)}.
     */
    public static Head readHead(URL resource, String source, Path cacheDir) {
        try {
            if (resource.getProtocol().equals("file")) return readHead(Path.of(resource.toURI()), cacheDir);
            if (resource.getProtocol().equals("jar")) {
                String spec = resource.getPath(); // file:/path/to/x.jar!/entry
                int bang = spec.indexOf("!/");
                if (bang > 0 && spec.startsWith("file:") && spec.indexOf("!/", bang + 2) < 0)
                    return HeadCache.read(Path.of(new URI(spec.substring(0, bang))), spec.substring(bang + 2), source, cacheDir,
                            FileStamp.SETTLED_MILLIS);
            }
        } catch (URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            // not a local file: read it through the URL below
        }
        try (InputStream in = resource.openStream()) {
            return readHead(in.readAllBytes(), source, cacheDir);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read head " + source + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a head of any type from its JSON bytes, through a binary copy in {@code cacheDir/heads} keyed by those
     * bytes (written the first time): the same head as parsing the JSON, without parsing its ~1 MB of numbers again.
     */
    public static Head readHead(byte[] json, String source, Path cacheDir) {
        return HeadCache.read(json, source, cacheDir);
    }

    static JsonNode parse(byte[] json, String source) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new ModelLoadException("head " + source + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** The head a parsed head file describes (checked). */
    static Head fromTree(JsonNode root, String source) {
        if (root == null || !FORMAT.equals(root.path("format").asText()))
            throw new ModelLoadException("head " + source + " is not an infer4j head (expected \"format\": \"" + FORMAT + "\")");
        String type = root.path("type").asText();
        if (type.equals("pair")) return readPair(root, source);
        boolean lexical = type.endsWith(LEXICAL_SUFFIX);
        String base = lexical ? type.substring(0, type.length() - LEXICAL_SUFFIX.length()) : type;
        if (!base.equals("softmax") && !base.equals("mlp"))
            throw new ModelLoadException("head " + source + " has type '" + type + "'; this version reads 'softmax', 'mlp', "
                    + "'softmax+lexical', 'mlp+lexical' and 'pair'");
        HiddenLayer hidden = base.equals("mlp") ? readHidden(root.path("hidden"), source) : null;
        List<String> labels = new ArrayList<>();
        root.path("labels").forEach(l -> labels.add(l.asText()));
        JsonNode w = root.path("weights");
        if (!w.isArray() || w.isEmpty()) throw new ModelLoadException("head " + source + " has no 'weights'");
        float[][] weights = new float[w.size()][];
        for (int k = 0; k < w.size(); k++) weights[k] = floats(w.get(k));
        float[] bias = floats(root.path("bias"));
        String oos = root.hasNonNull("oosLabel") ? root.get("oosLabel").asText() : null;
        return new SoftmaxHead(root.path("name").asText("head"), labels, weights, bias, oos,
                root.path("oosThreshold").asDouble(0), root.get("training"), readOosScore(root.get("oosScore"), source), hidden,
                lexical ? readLexical(root.path("lexical"), source) : null);
    }

    /** Suffix of the type of a softmax or mlp head with a {@link LexicalLayer} (an older infer4j refuses the type). */
    static final String LEXICAL_SUFFIX = "+lexical";

    private static LexicalLayer readLexical(JsonNode l, String source) {
        JsonNode v = l.path("vocab"), w = l.path("weights"), q = l.path("weightsInt8");
        boolean quantized = q.isObject();
        if (!v.isArray() || !l.path("idf").isArray() || !(quantized || w.isArray()) || !l.path("bias").isArray() || !l.path("scale").isNumber())
            throw new ModelLoadException("head " + source + " needs a 'lexical' object with 'scale', 'vocab', 'idf', 'weights' "
                    + "(or 'weightsInt8') and 'bias'");
        if (!LexicalLayer.FEATURES.equals(l.path("features").asText()))
            throw new ModelLoadException("head " + source + " has lexical features '" + l.path("features").asText()
                    + "'; this version computes '" + LexicalLayer.FEATURES + "'");
        List<String> vocab = new ArrayList<>(v.size());
        v.forEach(f -> vocab.add(f.asText()));
        if (quantized) {
            JsonNode rows = q.path("rows");
            if (!rows.isArray() || !q.path("rowScale").isArray())
                throw new ModelLoadException("head " + source + ": lexical 'weightsInt8' needs 'rowScale' and 'rows' (base64 signed bytes)");
            byte[][] b = new byte[rows.size()][];
            for (int k = 0; k < b.length; k++) {
                try {
                    b[k] = Base64.getDecoder().decode(rows.get(k).asText());
                } catch (IllegalArgumentException e) {
                    throw new ModelLoadException("head " + source + ": lexical weightsInt8 row " + k + " is not base64: " + e.getMessage());
                }
            }
            return LexicalLayer.quantized(vocab, floats(l.get("idf")), b, floats(q.get("rowScale")), floats(l.get("bias")),
                    l.get("scale").asDouble());
        }
        float[][] weights = new float[w.size()][];
        for (int k = 0; k < w.size(); k++) weights[k] = floats(w.get(k));
        return new LexicalLayer(vocab, floats(l.get("idf")), weights, floats(l.get("bias")), l.get("scale").asDouble());
    }

    private static HiddenLayer readHidden(JsonNode h, String source) {
        JsonNode w = h.path("weights");
        if (!w.isArray() || w.isEmpty() || !h.path("bias").isArray() || !h.path("activation").isTextual())
            throw new ModelLoadException("mlp head " + source + " needs a 'hidden' object with 'activation', 'weights' and 'bias'");
        float[][] weights = new float[w.size()][];
        for (int j = 0; j < w.size(); j++) weights[j] = floats(w.get(j));
        return new HiddenLayer(weights, floats(h.get("bias")), h.get("activation").asText());
    }

    private static OutOfScopeScore readOosScore(JsonNode o, String source) {
        if (o == null || o.isNull()) return null;
        if (!OutOfScopeScore.KIND.equals(o.path("kind").asText()))
            throw new ModelLoadException("head " + source + " has an oosScore of kind '" + o.path("kind").asText()
                    + "'; this version reads '" + OutOfScopeScore.KIND + "'");
        JsonNode c = o.path("centroids");
        if (!c.isArray() || c.isEmpty()) throw new ModelLoadException("head " + source + " oosScore has no 'centroids'");
        for (String f : List.of("energyMean", "energyStd", "distanceMean", "distanceStd", "threshold"))
            if (!o.path(f).isNumber()) throw new ModelLoadException("head " + source + " oosScore has no numeric '" + f + "'");
        float[][] centroids = new float[c.size()][];
        for (int k = 0; k < c.size(); k++) centroids[k] = floats(c.get(k));
        return new OutOfScopeScore(centroids, o.get("energyMean").asDouble(), o.get("energyStd").asDouble(),
                o.get("distanceMean").asDouble(), o.get("distanceStd").asDouble(), o.get("threshold").asDouble());
    }

    private static PairHead readPair(JsonNode root, String source) {
        TokenIdf idf = readIdf(root.get("idf"), source);
        PairHead.Portable portable = null;
        JsonNode p = root.get("portable");
        if (p != null && !p.isNull()) {
            if (!p.path("minFamiliarity").isNumber() || !p.path("head").isObject())
                throw new ModelLoadException("pair head " + source + " 'portable' needs a numeric 'minFamiliarity' and a 'head' object");
            if (idf == null) throw new ModelLoadException("pair head " + source + " has a 'portable' head but no 'idf' table");
            portable = new PairHead.Portable(readPair(p.get("head"), source + " (portable head)", idf, null),
                    p.get("minFamiliarity").asDouble());
        }
        return readPair(root, source, idf, portable);
    }

    /** A pair head object with its {@code idf} table (a portable head's is its parent's) and its {@code portable} branch. */
    private static PairHead readPair(JsonNode root, String source, TokenIdf idf, PairHead.Portable portable) {
        JsonNode rec = root.path("record");
        List<String> fields = new ArrayList<>();
        rec.path("fields").forEach(f -> fields.add(f.asText()));
        List<String> lexical = new ArrayList<>();
        root.path("lexicalFeatures").forEach(f -> lexical.add(f.asText()));
        if (!lexical.equals(PairFeatures.LEXICAL))
            throw new ModelLoadException("pair head " + source + " was trained on lexical features " + lexical
                    + "; this version computes " + PairFeatures.LEXICAL);
        JsonNode w = root.path("weights");
        if (!w.isArray() || w.isEmpty()) throw new ModelLoadException("head " + source + " has no 'weights'");
        if (!root.path("bias").isNumber()) throw new ModelLoadException("pair head " + source + " has no numeric 'bias'");
        return new PairHead(root.path("name").asText("pair"), new RecordFormat(fields, rec.path("maxTokensPerSide").asInt(0)),
                root.path("inputDim").asInt(0), floats(w), (float) root.path("bias").asDouble(), root.path("threshold").asDouble(0),
                root.get("training"), readTrees(root.get("trees"), source), idf, readBlend(root.get("blend"), source), portable);
    }

    /** {@code "blend": {"feature": "record_idf_cosine", "weight": w}} (session 6), or 0 when absent. */
    private static double readBlend(JsonNode b, String source) {
        if (b == null || b.isNull()) return 0;
        if (!PairHead.BLEND_FEATURE.equals(b.path("feature").asText()) || !b.path("weight").isNumber())
            throw new ModelLoadException("pair head " + source + " 'blend' needs \"feature\": \"" + PairHead.BLEND_FEATURE
                    + "\" and a numeric 'weight'; this version blends only that feature");
        return b.get("weight").asDouble();
    }

    private static TokenIdf readIdf(JsonNode t, String source) {
        if (t == null || t.isNull()) return null;
        if (!t.path("records").isInt() || !t.path("counts").isObject())
            throw new ModelLoadException("pair head " + source + " 'idf' needs an integer 'records' and a 'counts' object");
        Map<String, Integer> counts = new TreeMap<>();
        t.get("counts").fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue().asInt()));
        return new TokenIdf(t.get("records").asInt(), counts);
    }

    private static PairTrees readTrees(JsonNode t, String source) {
        if (t == null || t.isNull()) return null;
        List<String> features = new ArrayList<>();
        t.path("features").forEach(f -> features.add(f.asText()));
        if (!t.path("base").isNumber() || !t.path("rate").isNumber() || !t.path("trees").isArray())
            throw new ModelLoadException("pair head " + source + " 'trees' needs numeric 'base' and 'rate' and a 'trees' array");
        List<PairTrees.Tree> trees = new ArrayList<>();
        for (JsonNode n : t.get("trees")) {
            float[] split = floats(n.path("split")), value = floats(n.path("value"));
            trees.add(new PairTrees.Tree(ints(n.path("feature")), split, ints(n.path("left")), ints(n.path("right")), value));
        }
        return new PairTrees(features, t.get("base").asDouble(), t.get("rate").asDouble(), trees);
    }

    private static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).asInt();
        return v;
    }

    /**
     * Writes a pair head (deterministic bytes). A {@link PairHead#portable} branch is written as {@code "portable":
     * {"minFamiliarity": f, "head": {...}}} before the IDF table, the branch without a table of its own (it shares the
     * parent's, and counts its own over the records it scores); absent when there is none, so older heads keep their bytes.
     */
    public static void write(PairHead head, Path file) {
        writeJson(pairNode(head, true), file);
    }

    private static ObjectNode pairNode(PairHead head, boolean withIdf) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("type", "pair");
        root.put("name", head.name());
        root.put("inputDim", head.inputDim());
        ArrayNode labels = root.putArray("labels");
        PairScore.LABELS.forEach(labels::add);
        ObjectNode rec = root.putObject("record");
        ArrayNode fields = rec.putArray("fields");
        head.format().fields().forEach(fields::add);
        rec.put("maxTokensPerSide", head.format().maxTokensPerSide());
        root.put("features", "[u, v, |u-v|, u*v] of the pooled embeddings (4 x inputDim), then lexicalFeatures");
        ArrayNode lexical = root.putArray("lexicalFeatures");
        PairFeatures.LEXICAL.forEach(lexical::add);
        root.put("threshold", head.threshold());
        if (head.blend() > 0) root.putObject("blend").put("feature", PairHead.BLEND_FEATURE).put("weight", head.blend());
        if (head.training() != null) root.set("training", head.training());
        root.set("weights", array(head.weights()));
        root.put("bias", head.bias());
        if (head.trees() != null) {
            PairTrees t = head.trees();
            ObjectNode tn = root.putObject("trees");
            ArrayNode names = tn.putArray("features");
            t.features().forEach(names::add);
            tn.put("base", t.base());
            tn.put("rate", t.rate());
            ArrayNode list = tn.putArray("trees");
            for (PairTrees.Tree tree : t.trees()) {
                ObjectNode o = list.addObject();
                ArrayNode f = o.putArray("feature");
                for (int v : tree.feature()) f.add(v);
                o.set("split", array(tree.split()));
                ArrayNode l = o.putArray("left");
                for (int v : tree.left()) l.add(v);
                ArrayNode r = o.putArray("right");
                for (int v : tree.right()) r.add(v);
                o.set("value", array(tree.value()));
            }
        }
        if (head.portable() != null) {
            ObjectNode p = root.putObject("portable");
            p.put("minFamiliarity", head.portable().minFamiliarity());
            p.set("head", pairNode(head.portable().head(), false));
        }
        if (withIdf && head.idf() != null) {
            ObjectNode idf = root.putObject("idf");
            idf.put("records", head.idf().records());
            ObjectNode counts = idf.putObject("counts");
            head.idf().counts().forEach(counts::put);
        }
        return root;
    }

    /** Writes a softmax head (deterministic bytes): type {@code softmax}, or {@code mlp} when it has a hidden layer. */
    public static void write(SoftmaxHead head, Path file) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("type", (head.hidden() != null ? "mlp" : "softmax") + (head.lexical() != null ? LEXICAL_SUFFIX : ""));
        root.put("name", head.name());
        root.put("inputDim", head.inputDim());
        ArrayNode labels = root.putArray("labels");
        head.labels().forEach(labels::add);
        if (head.oosLabel() != null) root.put("oosLabel", head.oosLabel());
        root.put("oosThreshold", head.oosThreshold());
        if (head.oosScore() != null) {
            OutOfScopeScore o = head.oosScore();
            ObjectNode os = root.putObject("oosScore");
            os.put("kind", OutOfScopeScore.KIND);
            os.put("threshold", o.threshold());
            os.put("energyMean", o.energyMean());
            os.put("energyStd", o.energyStd());
            os.put("distanceMean", o.distanceMean());
            os.put("distanceStd", o.distanceStd());
            ArrayNode centroids = os.putArray("centroids");
            for (float[] row : o.centroids()) centroids.add(array(row));
        }
        if (head.training() != null) root.set("training", head.training());
        if (head.hidden() != null) {
            HiddenLayer h = head.hidden();
            ObjectNode hn = root.putObject("hidden");
            hn.put("activation", h.activation());
            hn.put("width", h.width());
            ArrayNode hw = hn.putArray("weights");
            for (float[] row : h.weights()) hw.add(array(row));
            hn.set("bias", array(h.bias()));
        }
        ArrayNode weights = root.putArray("weights");
        for (float[] row : head.weights()) weights.add(array(row));
        root.set("bias", array(head.bias()));
        if (head.lexical() != null) {
            LexicalLayer l = head.lexical();
            ObjectNode ln = root.putObject("lexical");
            ln.put("features", LexicalLayer.FEATURES);
            ln.put("scale", l.scale());
            ArrayNode vocab = ln.putArray("vocab");
            l.vocab().forEach(vocab::add);
            ln.set("idf", array(l.idf()));
            if (l.quantizedWeights() != null) {
                ObjectNode q = ln.putObject("weightsInt8");
                q.put("encoding", "base64 of signed bytes, one string per label; weight = byte * rowScale");
                q.set("rowScale", array(l.rowScale()));
                ArrayNode rows = q.putArray("rows");
                for (byte[] row : l.quantizedWeights()) rows.add(Base64.getEncoder().encodeToString(row));
            } else {
                ArrayNode lw = ln.putArray("weights");
                for (float[] row : l.weights()) lw.add(array(row));
            }
            ln.set("bias", array(l.bias()));
        }
        writeJson(root, file);
    }

    private static void writeJson(ObjectNode root, Path file) {
        try {
            AtomicFiles.write(file, out -> JSON.writeValue(out, root));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write head " + file + ": " + e.getMessage(), e);
        }
    }

    private static ArrayNode array(float[] v) {
        ArrayNode a = JSON.createArrayNode();
        for (float x : v) a.add(x);
        return a;
    }

    private static float[] floats(JsonNode a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) a.get(i).asDouble();
        return v;
    }
}
