package ai.infer4j.engine.task;

import ai.infer4j.engine.AtomicFiles;
import ai.infer4j.engine.ModelLoadException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

    public static SoftmaxHead read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (IOException e) {
            throw new ModelLoadException("cannot read head " + file + ": " + e.getMessage(), e);
        }
    }

    public static SoftmaxHead read(InputStream in, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(in);
        } catch (IOException e) {
            throw new ModelLoadException("head " + source + " is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !FORMAT.equals(root.path("format").asText()))
            throw new ModelLoadException("head " + source + " is not an infer4j head (expected \"format\": \"" + FORMAT + "\")");
        String type = root.path("type").asText();
        if (!type.equals("softmax"))
            throw new ModelLoadException("head " + source + " has type '" + type + "'; this version reads 'softmax'");
        List<String> labels = new ArrayList<>();
        root.path("labels").forEach(l -> labels.add(l.asText()));
        JsonNode w = root.path("weights");
        if (!w.isArray() || w.isEmpty()) throw new ModelLoadException("head " + source + " has no 'weights'");
        float[][] weights = new float[w.size()][];
        for (int k = 0; k < w.size(); k++) weights[k] = floats(w.get(k));
        float[] bias = floats(root.path("bias"));
        String oos = root.hasNonNull("oosLabel") ? root.get("oosLabel").asText() : null;
        return new SoftmaxHead(root.path("name").asText("head"), labels, weights, bias, oos,
                root.path("oosThreshold").asDouble(0), root.get("training"));
    }

    public static void write(SoftmaxHead head, Path file) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("type", "softmax");
        root.put("name", head.name());
        root.put("inputDim", head.inputDim());
        ArrayNode labels = root.putArray("labels");
        head.labels().forEach(labels::add);
        if (head.oosLabel() != null) root.put("oosLabel", head.oosLabel());
        root.put("oosThreshold", head.oosThreshold());
        if (head.training() != null) root.set("training", head.training());
        ArrayNode weights = root.putArray("weights");
        for (float[] row : head.weights()) weights.add(array(row));
        root.set("bias", array(head.bias()));
        try {
            AtomicFiles.write(file, out -> JSON.writeValue(out, root));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write head " + file + ": " + e.getMessage(), e);
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
