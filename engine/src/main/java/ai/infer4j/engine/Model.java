package ai.infer4j.engine;

import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.backbone.ModelSignature.OutputKind;
import ai.infer4j.engine.batch.BatchedModel;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.handler.BoundHandler;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.BiEncoderPair;
import ai.infer4j.engine.task.Classifier;
import ai.infer4j.engine.task.CrossEncoderPair;
import ai.infer4j.engine.task.Embedder;
import ai.infer4j.engine.task.PairHead;
import ai.infer4j.engine.task.PairScore;
import ai.infer4j.engine.task.Plan;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.task.RecordFormat;
import ai.infer4j.engine.task.Request;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.task.Task;
import ai.infer4j.engine.tokenize.Tokens;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A servable model: a backbone and the {@link Task} that turns its vectors into answers. Built by the
 * factories below (the engine's loaders use them). Safe for concurrent callers.
 *
 * <pre>
 * List&lt;Answer&gt; answers = model.run(Request.of("I lost my card"));     // synchronous: plan, forward, answer
 * engine.submit(model, Request.of("hi"), Duration.ofSeconds(1));      // the same through the batching scheduler
 * </pre>
 */
public final class Model implements BatchedModel {
    /** Sequences per forward pass when a caller hands over a long list. */
    public static final int BULK_BATCH = 32;

    private final String name;
    private final String version;
    private final Backbone backbone;
    private final Task task;
    private final Manifest manifest;
    /** The custom handler around the task, or null (the common case: then no request pays for the feature). */
    private final BoundHandler handler;

    private Model(String name, String version, Backbone backbone, Task task, Manifest manifest) {
        this(name, version, backbone, task, manifest, null);
    }

    private Model(String name, String version, Backbone backbone, Task task, Manifest manifest, BoundHandler handler) {
        this.name = Objects.requireNonNull(name, "name");
        this.version = Objects.requireNonNull(version, "version");
        this.backbone = Objects.requireNonNull(backbone, "backbone");
        this.task = Objects.requireNonNull(task, "task");
        this.manifest = manifest;
        this.handler = handler;
    }

    /** This model with a custom handler around its task (see {@link ai.infer4j.engine.handler.Handler}). */
    public Model withHandler(BoundHandler h) {
        return new Model(name, version, backbone, task, manifest, Objects.requireNonNull(h, "handler"));
    }

    /** Softmax heads (primary first) on the backbone's pooled embedding. */
    public static Model classifier(String name, String version, Backbone backbone, List<SoftmaxHead> heads, Manifest manifest) {
        for (SoftmaxHead h : heads)
            if (h.inputDim() != backbone.signature().width())
                throw new ModelLoadException("head '" + h.name() + "' reads " + h.inputDim() + " values but backbone " + backbone.id()
                        + " gives " + backbone.signature().width());
        return new Model(name, version, backbone, named(name, () -> Classifier.ofHeads(heads, backbone.signature().width())), manifest);
    }

    /** A full classifier whose backbone gives logits, named by {@code labels} (null: {@code LABEL_i}). */
    public static Model logitsClassifier(String name, String version, Backbone backbone, List<String> labels, Manifest manifest) {
        if (backbone.signature().kind() != OutputKind.LOGITS)
            throw new ModelLoadException("model '" + name + "' is a classifier but has no head and its backbone gives no logits");
        return new Model(name, version, backbone, named(name, () -> Classifier.ofLogits(labels, backbone.signature().width())), manifest);
    }

    /** Sentence embeddings from a backbone that pools. */
    public static Model embedder(String name, String version, Backbone backbone, Manifest manifest) {
        if (backbone.signature().kind() == OutputKind.LOGITS)
            throw new ModelLoadException("model '" + name + "' is a classifier that gives logits, not embeddings");
        return new Model(name, version, backbone, new Embedder(backbone.signature().width()), manifest);
    }

    /** A bi-encoder pair model: {@code head} on the two records' embeddings. */
    public static Model biEncoder(String name, String version, Backbone backbone, PairHead head, Manifest manifest) {
        if (head.inputDim() != backbone.signature().width())
            throw new ModelLoadException("pair head '" + head.name() + "' reads " + head.inputDim() + " values but backbone "
                    + backbone.id() + " gives " + backbone.signature().width());
        return new Model(name, version, backbone, new BiEncoderPair(head), manifest);
    }

    /** A cross-encoder pair model: the backbone gives logits for a text pair. */
    public static Model crossEncoder(String name, String version, Backbone backbone, RecordFormat format, double threshold, Manifest manifest) {
        if (backbone.signature().kind() != OutputKind.LOGITS)
            throw new ModelLoadException("model '" + name + "' is a pair model but has no pair head and its backbone gives no logits (cross-encoder)");
        return new Model(name, version, backbone, new CrossEncoderPair(format, threshold), manifest);
    }

    private static Task named(String model, Supplier<Task> make) {
        try {
            return make.get();
        } catch (ModelLoadException e) {
            throw new ModelLoadException("model '" + model + "': " + e.getMessage(), e);
        }
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

    /** The custom handler around this model's task, or null when it has none. */
    public BoundHandler handler() {
        return handler;
    }

    /** The archive manifest this model came from, or null. */
    public Manifest manifest() {
        return manifest;
    }

    /** Labels of the primary answer, empty for an embedding model. */
    public List<String> labels() {
        return task.labels();
    }

    /** The classifier's softmax heads, primary first; empty for other tasks and logits classifiers. */
    public List<SoftmaxHead> heads() {
        return task instanceof Classifier c ? c.heads() : List.of();
    }

    /** Token sequences of texts as this model's backbone reads them (throws {@link BadInputException} naming a bad one). */
    public List<Tokens> tokenize(List<TextInput> inputs) {
        return backbone.tokenizer().encodeAll(inputs);
    }

    /** A classifier's primary answer for one backbone vector. */
    public Prediction predict(float[] vector) {
        return predict(vector, null);
    }

    /** The answer for one backbone vector and the text it came from (read by a head with a lexical layer). */
    public Prediction predict(float[] vector, String text) {
        if (task instanceof Classifier c) return c.predict(vector, text);
        throw new BadInputException("model '" + name + "' " + (task instanceof Embedder ? "gives embeddings" : "scores pairs") + ", not labels");
    }

    /** Step one: the request's token sequences (throws {@link BadInputException} naming the first bad input). */
    public Plan plan(Request request) {
        return task.plan(request, backbone.tokenizer());
    }

    /** Step two: the answers from the backbone's vectors for the plan's sequences, in request order. */
    public List<Answer> answers(Plan plan, float[][] vectors) {
        return task.answers(plan, vectors);
    }

    /**
     * Plans, runs the forward passes on the caller's thread (batches of {@link #BULK_BATCH}) and answers; with a custom
     * handler, its phases run around that on the caller's thread too (no deadline here: the caller has the thread).
     */
    public List<Answer> run(Request request) {
        if (handler == null) return runTask(request);
        Request handled = handler.before(request);
        return handler.after(handled, runTask(handled));
    }

    private List<Answer> runTask(Request request) {
        Plan plan = plan(request);
        return answers(plan, backbone.forwardAll(plan.sequences(), BULK_BATCH, n -> { }));
    }

    /** Classifies texts with the primary answer; in input order. */
    public List<Prediction> classify(List<String> texts) {
        if (!(task instanceof Classifier)) predict(null); // refuses with the reason
        List<Prediction> out = new ArrayList<>(texts.size());
        for (Answer a : run(Request.ofTexts(texts))) out.add(((Answer.Classified) a).prediction());
        return out;
    }

    /** Pooled, L2-normalised embeddings of texts, in input order. */
    public float[][] embed(List<String> texts) {
        if (!(task instanceof Embedder)) throw new BadInputException("model '" + name + "' does not give embeddings");
        return run(Request.ofTexts(texts)).stream().map(Answer::vector).toArray(float[][]::new);
    }

    /**
     * Scores pairs, in input order, embedding each distinct record once (bi-encoder); throws {@link BadInputException}
     * naming the first bad pair.
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

    @Override
    public String toString() {
        return name + "/" + version + " (" + task.kind() + " on " + backbone.id() + (handler == null ? "" : ", handler " + handler.name()) + ")";
    }
}
