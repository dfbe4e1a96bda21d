package ai.infer4j.engine;

import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.backbone.ModelSignature.OutputKind;
import ai.infer4j.engine.config.EngineOptions;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.error.DeadlineExceededException;
import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.error.ModelNotFoundException;
import ai.infer4j.engine.error.OverloadedException;
import ai.infer4j.engine.handler.BoundHandler;
import ai.infer4j.engine.handler.Handler;
import ai.infer4j.engine.handler.Handlers;
import ai.infer4j.engine.task.Head;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.PairHead;
import ai.infer4j.engine.task.RecordFormat;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.batch.BatchListener;
import ai.infer4j.engine.batch.BatchPolicy;
import ai.infer4j.engine.batch.BatchScheduler;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.CrossEncoderPair;
import ai.infer4j.engine.task.Request;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Entry point of the engine: loads models by name or path and runs them. Models that use the same
 * backbone file share one ONNX session and one batching scheduler, so requests for different heads on one
 * backbone share forward passes. Safe for concurrent callers.
 *
 * <pre>
 * try (Engine engine = Engine.create(EngineOptions.defaults())) {
 *     Model intent = engine.load("intent");
 *     engine.submit(intent, Request.of("I lost my credit card"), Duration.ofSeconds(1))
 *           .thenAccept(answers -&gt; ...);                                  // asynchronous, batched
 *     Prediction p = intent.classify(List.of("what is my balance")).get(0);  // synchronous, on this thread
 * }
 * </pre>
 */
public final class Engine implements AutoCloseable {
    /** Model served when none is named. */
    public static final String DEFAULT_MODEL = "intent";
    /** Built-in model names: heads shipped as resources on the embedded backbone, and plain embeddings. */
    public static final List<String> BUILTIN_MODELS = List.of("intent", "embed", "duplicate");
    private static final String HEAD_RESOURCE = "ai/infer4j/engine/heads/%s.json";

    private final EngineOptions options;
    private final Handlers handlers;
    private final Map<String, Backbone> backbones = new LinkedHashMap<>();
    private final Map<Backbone, BatchScheduler> schedulers = new IdentityHashMap<>();
    private boolean closed;

    private Engine(EngineOptions options, Handlers handlers) {
        this.options = options;
        this.handlers = Objects.requireNonNull(handlers, "handlers");
    }

    /** An engine without custom handlers: archives may name only the built-in ones. */
    public static Engine create(EngineOptions options) {
        return new Engine(options, Handlers.none());
    }

    /**
     * An engine whose archives may name the custom handlers in {@code handlers}. The caller keeps ownership: close
     * the handlers after the engine.
     */
    public static Engine create(EngineOptions options, Handlers handlers) {
        return new Engine(options, handlers);
    }

    /** The custom handlers archives may name (none by default). */
    public Handlers handlers() {
        return handlers;
    }

    public EngineOptions options() {
        return options;
    }

    /**
     * Loads a model from a reference: a built-in name ({@code intent}, {@code embed}), a model
     * archive ({@code .mar} or a directory with {@code MAR-INF/MANIFEST.json}), a Hugging Face style
     * export directory ({@code model.onnx} + {@code tokenizer.json}), or a head JSON file (on the
     * built-in backbone it was trained on). Everything is checked before the model is returned.
     */
    public Model load(String ref) {
        if (ref == null || ref.isBlank()) ref = DEFAULT_MODEL;
        if (BUILTIN_MODELS.contains(ref) && !Files.exists(Path.of(ref))) return loadBuiltin(ref);
        Path path = Path.of(ref);
        if (!Files.exists(path))
            throw new ModelNotFoundException("no model '" + ref + "': not a built-in model " + BUILTIN_MODELS + " and no such file or directory");
        if (ModelArchive.isArchive(path)) return withHandler(loadArchive(ModelArchive.open(path, options.cacheDir())), ref);
        if (Files.isDirectory(path)) return loadExport(path);
        if (ref.endsWith(".json")) return onBuiltinBackbone(requireBuiltinBackbone(HeadFiles.readHead(path, options.cacheDir()), ref));
        throw new ModelLoadException("cannot load '" + ref + "': expected a .mar archive, an archive or export directory, or a head .json");
    }

    private Model loadBuiltin(String name) {
        if (name.equals("embed")) return Model.embedder("embed", "1", backbone(BackboneFiles.builtin(options.cacheDir())), null);
        // The head's JSON (~1.4 MB of weights for intent) is parsed on a second thread while the backbone opens: at a cold
        // start both are ~0.2 s of single-threaded work.
        CompletableFuture<Head> head = CompletableFuture.supplyAsync(() -> readBuiltinHead(name, options.cacheDir()), task -> {
            Thread t = new Thread(task, "infer4j-head-load");
            t.setDaemon(true);
            t.start();
        });
        backbone(BackboneFiles.builtin(options.cacheDir()));
        try {
            return onBuiltinBackbone(head.join());
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw e;
        }
    }

    /**
     * A model of one head (softmax or pair) on a built-in backbone, named after the head: the one its training metadata
     * names (e.g. {@code builtin:bge-small-en-v1.5}), else the default.
     */
    private Model onBuiltinBackbone(Head head) {
        String trainedOn = trainedOn(head);
        Backbone bb = backbone(trainedOn.startsWith("builtin:") ? BackboneFiles.builtin(trainedOn, options.cacheDir())
                : BackboneFiles.builtin(options.cacheDir()));
        if (head instanceof PairHead p) return Model.biEncoder(p.name(), "1", bb, p, null);
        return Model.classifier(head.name(), "1", bb, List.of((SoftmaxHead) head), null);
    }

    /** The backbone a head's training metadata names ({@code training.backbone}), or "" when it names none. */
    private static String trainedOn(Head head) {
        JsonNode training = head instanceof SoftmaxHead s ? s.training() : ((PairHead) head).training();
        return training == null ? "" : training.path("backbone").asText("");
    }

    /**
     * {@code head}, unless it was trained on an export directory ({@code train --backbone DIR} records the path of its
     * model): a head file alone names only built-in backbones, and on another backbone of the same width it would give
     * wrong answers without any error. Such a head is served from an archive that carries its backbone.
     */
    private static Head requireBuiltinBackbone(Head head, String ref) {
        String trainedOn = trainedOn(head);
        if (trainedOn.isEmpty() || trainedOn.startsWith("builtin:")) return head;
        String dir = exportDir(trainedOn);
        throw new ModelLoadException("head '" + head.name() + "' (" + ref + ") was trained on the backbone " + trainedOn
                + ", not a built-in one; a head file runs only on the built-in backbone it names. Archive it with its "
                + "backbone and load the archive instead: infer4j archive --name " + head.name() + " --backbone " + dir
                + " --head " + ref + " --out " + head.name() + ".mar");
    }

    /** The export directory a recorded backbone was read from ({@code train} records {@code DIR/model.onnx}), else "DIR". */
    private static String exportDir(String trainedOn) {
        if (!trainedOn.endsWith("model.onnx")) return "DIR"; // e.g. finetune's "finetuned:NAME"
        Path parent = Path.of(trainedOn).getParent();
        return parent == null ? "DIR" : parent.toString();
    }

    /**
     * {@code head}, unless its training metadata names another backbone than {@code backbone}, the built-in backbone of
     * {@code archive} (e.g. a head trained on bge-small-en-v1.5, archived without {@code --backbone}).
     */
    private static <H extends Head> H requireTrainedOn(H head, String backbone, Manifest archive) {
        String trainedOn = trainedOn(head);
        if (trainedOn.isEmpty() || trainedOn.equals(backbone)) return head;
        String fix = trainedOn.startsWith("builtin:") ? trainedOn.substring("builtin:".length()) : exportDir(trainedOn);
        throw new ModelLoadException("archive '" + archive.modelName() + "': head '" + head.name() + "' was trained on the backbone "
                + trainedOn + ", but the archive runs it on " + backbone + " (wrong answers); rebuild the archive with "
                + "infer4j archive --backbone " + fix + " and the same heads");
    }

    /** A softmax head shipped inside the engine jar, e.g. the default {@code intent} head. */
    public static SoftmaxHead builtinHead(String name) {
        if (readBuiltinHead(name) instanceof SoftmaxHead s) return s;
        throw new ModelLoadException("the built-in '" + name + "' head is a pair head; use builtinPairHead");
    }

    /** A pair head shipped inside the engine jar, e.g. the {@code duplicate} head. */
    public static PairHead builtinPairHead(String name) {
        if (readBuiltinHead(name) instanceof PairHead p) return p;
        throw new ModelLoadException("the built-in '" + name + "' head is not a pair head");
    }

    private static Head readBuiltinHead(String name) {
        return readBuiltinHead(name, null);
    }

    /** A built-in head; with a cache directory, through its binary copy there (see {@link HeadFiles#readHead(byte[], String, Path)}). */
    private static Head readBuiltinHead(String name, Path cacheDir) {
        String res = String.format(HEAD_RESOURCE, name);
        if (cacheDir != null) {
            URL url = Engine.class.getClassLoader().getResource(res);
            if (url == null) throw new ModelLoadException("the built-in '" + name + "' head is missing from this build (" + res + ")");
            return HeadFiles.readHead(url, res, cacheDir);
        }
        try (InputStream in = Engine.class.getClassLoader().getResourceAsStream(res)) {
            if (in == null) throw new ModelLoadException("the built-in '" + name + "' head is missing from this build (" + res + ")");
            return HeadFiles.readHead(in, res);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read built-in head " + res + ": " + e.getMessage(), e);
        }
    }

    /**
     * The model with the custom handler its manifest names, or as it is for a built-in handler name. Only the installed
     * handlers can be named: no code is ever loaded from an archive (unknown names are refused, listing the installed).
     */
    private Model withHandler(Model model, String ref) {
        Manifest m = model.manifest();
        if (Manifest.HANDLERS.contains(m.handler())) return model;
        var context = new Handler.Context(model.name(), model.version(), m.task(), model.labels(), handlerOptions(m));
        return model.withHandler(handlers.bind(m.handler(), context, "model '" + m.modelName() + "' (archive " + ref + ")"));
    }

    private static Map<String, String> handlerOptions(Manifest m) {
        JsonNode o = m.extra().get("handlerOptions");
        if (o == null || o.isNull()) return Map.of();
        if (!o.isObject()) throw new ModelLoadException("manifest handlerOptions must be an object of strings, got " + o.getNodeType());
        Map<String, String> out = new LinkedHashMap<>();
        for (var it = o.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isValueNode())
                throw new ModelLoadException("manifest handlerOptions." + e.getKey() + " must be a string, number or boolean");
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private Model loadArchive(Path dir) {
        Manifest m = ModelArchive.readManifest(dir);
        BackboneFiles files = m.backbone().startsWith("builtin:") ? BackboneFiles.builtin(m.backbone(), options.cacheDir())
                : BackboneFiles.ofDirectory(dir);
        Backbone bb = backbone(files);
        if (m.task().equals("pair")) return loadPairArchive(m, dir, bb);
        List<SoftmaxHead> heads = new ArrayList<>();
        boolean builtin = m.backbone().startsWith("builtin:");
        for (String h : m.heads()) {
            SoftmaxHead head = HeadFiles.read(dir.resolve(h), options.cacheDir());
            heads.add(builtin ? requireTrainedOn(head, m.backbone(), m) : head);
        }
        if (m.task().equals("embed")) return Model.embedder(m.modelName(), m.modelVersion(), bb, m);
        return heads.isEmpty() ? Model.logitsClassifier(m.modelName(), m.modelVersion(), bb, configLabels(files), m)
                : Model.classifier(m.modelName(), m.modelVersion(), bb, heads, m);
    }

    /** A pair archive: its first head is a pair head (bi-encoder), or it has none and the backbone is a cross-encoder. */
    private Model loadPairArchive(Manifest m, Path dir, Backbone bb) {
        if (!m.heads().isEmpty()) {
            Head h = HeadFiles.readHead(dir.resolve(m.heads().get(0)), options.cacheDir());
            if (!(h instanceof PairHead p))
                throw new ModelLoadException("pair archive '" + m.modelName() + "': head " + m.heads().get(0) + " is not a pair head");
            return Model.biEncoder(m.modelName(), m.modelVersion(), bb,
                    m.backbone().startsWith("builtin:") ? requireTrainedOn(p, m.backbone(), m) : p, m);
        }
        RecordFormat format = RecordFormat.products();
        JsonNode rec = m.extra().get("record");
        if (rec != null) {
            List<String> fields = new ArrayList<>();
            rec.path("fields").forEach(f -> fields.add(f.asText()));
            format = new RecordFormat(fields, rec.path("maxTokensPerSide").asInt(format.maxTokensPerSide()));
        }
        JsonNode threshold = m.extra().get("threshold");
        return Model.crossEncoder(m.modelName(), m.modelVersion(), bb, format,
                threshold == null ? CrossEncoderPair.DEFAULT_THRESHOLD : threshold.asDouble(CrossEncoderPair.DEFAULT_THRESHOLD), m);
    }

    private Model loadExport(Path dir) {
        BackboneFiles files = BackboneFiles.ofDirectory(dir);
        Backbone bb = backbone(files);
        boolean logits = bb.signature().kind() == OutputKind.LOGITS;
        String name = dir.toAbsolutePath().normalize().getFileName().toString().replaceAll("[^A-Za-z0-9_.-]", "_");
        return logits ? Model.logitsClassifier(name, "1", bb, configLabels(files), null) : Model.embedder(name, "1", bb, null);
    }

    /** Labels from a Hugging Face {@code config.json}'s {@code id2label}, in id order; null if absent. */
    private static List<String> configLabels(BackboneFiles files) {
        if (files.config() == null) return null;
        try {
            JsonNode id2label = new ObjectMapper().readTree(files.config().toFile()).path("id2label");
            if (!id2label.isObject() || id2label.isEmpty()) return null;
            TreeMap<Integer, String> byId = new TreeMap<>();
            id2label.fields().forEachRemaining(e -> byId.put(Integer.parseInt(e.getKey()), e.getValue().asText()));
            if (byId.firstKey() != 0 || byId.lastKey() != byId.size() - 1)
                throw new ModelLoadException("config.json id2label ids must be 0.." + (byId.size() - 1) + ", got " + byId.keySet());
            return new ArrayList<>(byId.values());
        } catch (IOException | NumberFormatException e) {
            throw new ModelLoadException("cannot read id2label from " + files.config() + ": " + e.getMessage(), e);
        }
    }

    /** The shared backbone for these files, opened on first use. */
    public synchronized Backbone backbone(BackboneFiles files) {
        if (closed) throw new IllegalStateException("engine is closed");
        Backbone bb = backbones.get(files.id());
        if (bb == null) {
            bb = Backbone.open(files, options);
            backbones.put(files.id(), bb);
        }
        return bb;
    }

    /**
     * Closes a backbone no model uses any more and forgets it; its scheduler first stops intake and finishes queued
     * work (up to {@code drain}). The next load opens it again.
     */
    public void release(Backbone backbone, Duration drain) {
        BatchScheduler s;
        synchronized (this) {
            s = schedulers.remove(backbone);
        }
        if (s != null) s.shutdown(drain);
        synchronized (this) {
            if (backbones.remove(backbone.id(), backbone)) backbone.close();
        }
    }

    /**
     * Starts dynamic batching for a backbone, or returns its running scheduler. Every model on a backbone shares
     * its scheduler (one queue, one forward pass for a mix of models), so the settings of the first caller are in
     * force; a later caller asking for others gets the running scheduler and should say so (compare
     * {@link BatchScheduler#policy()} with what it asked; {@link BatchPolicy#describe()} names both).
     *
     * @param workers  worker threads when this call starts the scheduler (scale it later with {@link BatchScheduler#scale})
     * @param listener metrics for the scheduler when this call starts it
     */
    public synchronized BatchScheduler batching(Backbone backbone, BatchPolicy policy, int workers, BatchListener listener) {
        return batching(backbone, policy, workers, listener, BatchScheduler.Drain.THREADS);
    }

    /** {@link #batching(Backbone, BatchPolicy, int, BatchListener)} choosing who runs the forward passes. */
    public synchronized BatchScheduler batching(Backbone backbone, BatchPolicy policy, int workers, BatchListener listener,
                                                BatchScheduler.Drain drain) {
        if (closed) throw new IllegalStateException("engine is closed");
        BatchScheduler s = schedulers.get(backbone);
        if (s == null) {
            s = new BatchScheduler(backbone, backbone.label(), policy, workers, listener, System::nanoTime, drain);
            schedulers.put(backbone, s);
        }
        return s;
    }

    /** The backbone's running scheduler, started with the default policy and one worker if there is none. */
    public synchronized BatchScheduler scheduler(Backbone backbone) {
        BatchScheduler s = schedulers.get(backbone);
        return s != null ? s : batching(backbone, BatchPolicy.defaults(), 1, BatchListener.NONE);
    }

    /**
     * The one asynchronous entry: plans the request on the caller's thread (a bad input throws
     * {@link BadInputException} at once), queues its sequences on the backbone's scheduler, where they may share
     * forward passes with other requests and models, and completes with one answer per input, in order. Fails with
     * {@link OverloadedException} when the queue is full or the work cannot start in time, and with
     * {@link DeadlineExceededException} when no answer is ready within {@code timeout}. Never blocks.
     */
    public CompletableFuture<List<Answer>> submit(Model model, Request request, Duration timeout) {
        return submit(model, request, timeout, BatchScheduler.DIRECT);
    }

    /**
     * {@link #submit(Model, Request, Duration)} from a caller that has an executor of its own (e.g. a Netty event
     * loop): when the backbone's scheduler lets callers run the forward passes ({@link BatchScheduler.Drain#CALLERS}),
     * they run on {@code here} after the current task, batched with whatever else is queued by then.
     */
    public CompletableFuture<List<Answer>> submit(Model model, Request request, Duration timeout, Executor here) {
        BoundHandler h = model.handler();
        if (h != null) return h.submit(request, timeout, (r, left) -> scheduler(model.backbone()).submit(model, model.plan(r), left, here));
        return scheduler(model.backbone()).submit(model, model.plan(request), timeout, here);
    }

    /** {@link #submit} and wait: the same two steps, for callers that have a thread to spare. */
    public List<Answer> predict(Model model, Request request, Duration timeout) {
        try {
            return submit(model, request, timeout).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        schedulers.values().forEach(s -> s.shutdown(Duration.ofSeconds(5)));
        schedulers.clear();
        List<Backbone> all = new ArrayList<>(backbones.values());
        Collections.reverse(all);
        all.forEach(Backbone::close);
        backbones.clear();
    }
}
