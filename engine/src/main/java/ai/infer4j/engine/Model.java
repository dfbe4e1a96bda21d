package ai.infer4j.engine;

import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.model.Backbone;
import ai.infer4j.engine.model.ModelSignature.OutputKind;
import ai.infer4j.engine.task.PairFeatures;
import ai.infer4j.engine.task.PairHead;
import ai.infer4j.engine.task.PairScore;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.task.RecordFormat;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.tokenize.Tokens;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A servable model: a backbone plus what turns its vectors into answers (softmax heads, or the
 * backbone's own logits for a full classifier, or nothing for embeddings). Safe for concurrent callers.
 */
public final class Model {
    /** What a model answers. */
    public enum Task { CLASSIFY, EMBED, PAIR }

    /** Sequences per forward pass when a caller hands over a long list. */
    public static final int BULK_BATCH = 32;

    private final String name;
    private final String version;
    private final Task task;
    private final Backbone backbone;
    private final List<SoftmaxHead> heads;
    private final List<String> logitLabels;
    private final Manifest manifest;
    private final PairHead pairHead;
    private final RecordFormat recordFormat;

    Model(String name, String version, Task task, Backbone backbone, List<SoftmaxHead> heads, List<String> logitLabels,
          Manifest manifest) {
        this(name, version, task, backbone, heads, logitLabels, manifest, null, null);
    }

    /**
     * A pair model: a bi-encoder {@code pairHead} on the backbone, or (when it is null) a cross-encoder
     * backbone that gives logits for a text pair, rendering records with {@code recordFormat}.
     */
    Model(String name, String version, Task task, Backbone backbone, List<SoftmaxHead> heads, List<String> logitLabels,
          Manifest manifest, PairHead pairHead, RecordFormat recordFormat) {
        this.name = name;
        this.version = version;
        this.task = task;
        this.backbone = backbone;
        this.heads = List.copyOf(heads);
        this.logitLabels = logitLabels == null ? null : List.copyOf(logitLabels);
        this.manifest = manifest;
        this.pairHead = pairHead;
        this.recordFormat = pairHead != null ? pairHead.format() : recordFormat != null ? recordFormat : RecordFormat.products();
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
        if (task == Task.PAIR && pairHead == null && !logits)
            throw new ModelLoadException("model '" + name + "' is a pair model but has no pair head and its backbone gives no logits (cross-encoder)");
        if (pairHead != null && pairHead.inputDim() != backbone.signature().width())
            throw new ModelLoadException("pair head '" + pairHead.name() + "' reads " + pairHead.inputDim() + " values but backbone "
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

    /** The bi-encoder pair head, or null (not a pair model, or a cross-encoder). */
    public PairHead pairHead() {
        return pairHead;
    }

    /** How this model turns a record into text (pair models). */
    public RecordFormat recordFormat() {
        return recordFormat;
    }

    /** Labels of the primary head (or the classifier's own), empty for an embedding model. */
    public List<String> labels() {
        if (task == Task.PAIR) return PairScore.LABELS;
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
        if (task == Task.PAIR)
            throw new BadInputException("model '" + name + "' scores record pairs; send {\"left\": ..., \"right\": ...} or {\"text\": ..., \"text_pair\": ...}");
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

    /** The text a record is embedded as (pair models); throws {@link BadInputException} for an empty record. */
    public String recordText(Map<String, String> record, String side) {
        return recordFormat.render(record, side);
    }

    /**
     * Tokens of one side of a pair for a bi-encoder (rendered, tokenized, cut to the format's
     * tokens per side), ready to join any batch on this model's backbone, e.g. with intent requests.
     * Score the pair afterwards with {@link #scorePair(PairInput, float[], float[])}.
     */
    public Tokens tokenizeRecord(Map<String, String> record, String side) {
        return tokenizeText(recordText(record, side));
    }

    /** Tokens of an already rendered record text, cut to the format's tokens per side. */
    public Tokens tokenizeText(String text) {
        return backbone.tokenizer().encode(TextInput.of(text)).truncateTo(recordFormat.maxTokensPerSide());
    }

    /** Scores one pair from its two sides' backbone vectors (bi-encoder pair models only). Cheap: no forward pass. */
    public PairScore scorePair(PairInput pair, float[] leftVector, float[] rightVector) {
        if (pairHead == null)
            throw new BadInputException("model '" + name + "' has no bi-encoder pair head" + (task == Task.PAIR ? " (it is a cross-encoder; use scorePairs)" : ""));
        return pairHead.score(leftVector, rightVector, PairFeatures.lexical(pair.left(), pair.right()));
    }

    /**
     * Scores pairs, in input order: each distinct record is embedded once (bi-encoder), or each pair
     * runs through the cross-encoder. Throws {@link BadInputException} naming the first bad pair.
     */
    public List<PairScore> scorePairs(List<PairInput> pairs) {
        List<PairBatch.Result> results = PairBatch.score(this, pairs, new HashMap<>(), BULK_BATCH);
        List<PairScore> out = new ArrayList<>(results.size());
        for (int i = 0; i < results.size(); i++) {
            PairBatch.Result r = results.get(i);
            if (r.error() != null) throw pairs.size() == 1 ? r.error() : r.error().withPrefix("input " + i + ": ");
            out.add(r.score());
        }
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
