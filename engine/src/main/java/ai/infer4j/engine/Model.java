package ai.infer4j.engine;

import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.model.Backbone;
import ai.infer4j.engine.model.ModelSignature.OutputKind;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.tokenize.Tokens;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A servable model: a backbone plus what turns its vectors into answers (softmax heads, or the
 * backbone's own logits for a full classifier, or nothing for embeddings). Safe for concurrent callers.
 */
public final class Model {
    /** What a model answers. */
    public enum Task { CLASSIFY, EMBED }

    /** Sequences per forward pass when a caller hands over a long list. */
    public static final int BULK_BATCH = 32;

    private final String name;
    private final String version;
    private final Task task;
    private final Backbone backbone;
    private final List<SoftmaxHead> heads;
    private final List<String> logitLabels;
    private final Manifest manifest;

    Model(String name, String version, Task task, Backbone backbone, List<SoftmaxHead> heads, List<String> logitLabels,
          Manifest manifest) {
        this.name = name;
        this.version = version;
        this.task = task;
        this.backbone = backbone;
        this.heads = List.copyOf(heads);
        this.logitLabels = logitLabels == null ? null : List.copyOf(logitLabels);
        this.manifest = manifest;
        boolean logits = backbone.signature().kind() == OutputKind.LOGITS;
        if (task == Task.CLASSIFY && heads.isEmpty() && !logits)
            throw new ModelLoadException("model '" + name + "' is a classifier but has no head and its backbone gives no logits");
        if (logits && logitLabels != null && logitLabels.size() != backbone.signature().width())
            throw new ModelLoadException("model '" + name + "' has " + logitLabels.size() + " labels in config.json but the model gives "
                    + backbone.signature().width() + " logits");
        for (SoftmaxHead h : heads)
            if (h.inputDim() != backbone.signature().width())
                throw new ModelLoadException("head '" + h.name() + "' reads " + h.inputDim() + " values but backbone "
                        + backbone.id() + " gives " + backbone.signature().width());
    }

    public String name() {
        return name;
    }

    public String version() {
        return version;
    }

    public Task task() {
        return task;
    }

    public Backbone backbone() {
        return backbone;
    }

    public List<SoftmaxHead> heads() {
        return heads;
    }

    /** The archive manifest this model came from, or null. */
    public Manifest manifest() {
        return manifest;
    }

    /** Labels of the primary head (or the classifier's own), empty for an embedding model. */
    public List<String> labels() {
        if (!heads.isEmpty()) return heads.get(0).labels();
        return logitLabels == null ? List.of() : logitLabels;
    }

    /** Tokenizes and validates inputs (throws {@link BadInputException} naming the first bad one). */
    public List<Tokens> tokenize(List<TextInput> inputs) {
        List<Tokens> out = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            try {
                out.add(backbone.tokenizer().encode(inputs.get(i)));
            } catch (BadInputException e) {
                throw inputs.size() == 1 ? e : e.withPrefix("input " + i + ": ");
            }
        }
        return out;
    }

    /** Classifies texts with the primary head; batched, in input order. */
    public List<Prediction> classify(List<String> texts) {
        return classifyInputs(texts.stream().map(TextInput::of).toList());
    }

    public List<Prediction> classifyInputs(List<TextInput> inputs) {
        float[][] v = backbone.forwardAll(tokenize(inputs), BULK_BATCH, n -> { });
        List<Prediction> out = new ArrayList<>(v.length);
        for (float[] row : v) out.add(predict(row));
        return out;
    }

    /** Pooled, L2-normalised embeddings of texts, in input order. */
    public float[][] embed(List<String> texts) {
        if (backbone.signature().kind() == OutputKind.LOGITS)
            throw new BadInputException("model '" + name + "' is a classifier that gives logits, not embeddings");
        return backbone.forwardAll(tokenize(texts.stream().map(TextInput::of).toList()), BULK_BATCH, n -> { });
    }

    /** The primary answer for one backbone vector. */
    public Prediction predict(float[] vector) {
        if (!heads.isEmpty()) return heads.get(0).apply(vector);
        if (task != Task.CLASSIFY) throw new BadInputException("model '" + name + "' gives embeddings, not labels");
        double[] z = new double[vector.length];
        for (int i = 0; i < z.length; i++) z[i] = vector[i];
        float[] p = SoftmaxHead.softmax(z);
        int best = 0;
        for (int k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
        List<String> labels = logitLabels != null ? logitLabels : defaultLabels(p.length);
        return new Prediction(labels.get(best), p[best], labels, p);
    }

    /** Every head's answer for one backbone vector (the multi-head case: one forward pass, many tasks). */
    public Map<String, Prediction> predictAllHeads(float[] vector) {
        Map<String, Prediction> out = new LinkedHashMap<>();
        for (SoftmaxHead h : heads) out.put(h.name(), h.apply(vector));
        return out;
    }

    private static List<String> defaultLabels(int n) {
        List<String> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) l.add("LABEL_" + i);
        return l;
    }

    @Override
    public String toString() {
        return name + "/" + version + " (" + task.name().toLowerCase() + " on " + backbone.id() + ")";
    }
}
