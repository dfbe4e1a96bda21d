package ai.infer4j.engine;

import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.model.Backbone;
import ai.infer4j.engine.model.BackboneFiles;
import ai.infer4j.engine.model.Forward;
import ai.infer4j.engine.model.ModelSignature.OutputKind;
import ai.infer4j.engine.task.Head;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.PairHead;
import ai.infer4j.engine.task.RecordFormat;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.tokenize.Tokens;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Entry point of the engine: loads models by name or path and runs them. Models that use the same
 * backbone file share one ONNX session, and {@link #predict(List)} answers requests for different
 * heads on one backbone with one forward pass. Safe for concurrent callers.
 *
 * <pre>
 * try (Engine engine = Engine.create(EngineOptions.defaults())) {
 *     Model intent = engine.load("intent");
 *     Prediction p = intent.classify(List.of("I lost my credit card")).get(0);
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
    private final Map<String, Backbone> backbones = new LinkedHashMap<>();
    private boolean closed;

    private Engine(EngineOptions options) {
        this.options = options;
    }

    public static Engine create(EngineOptions options) {
        return new Engine(options);
    }

    public EngineOptions options() {
        return options;
    }

    /**
     * Loads a model from a reference: a built-in name ({@code intent}, {@code embed}), a model
     * archive ({@code .mar} or a directory with {@code MAR-INF/MANIFEST.json}), a Hugging Face style
     * export directory ({@code model.onnx} + {@code tokenizer.json}), or a head JSON file (on the
     * embedded backbone). Everything is checked before the model is returned.
     */
    public Model load(String ref) {
        if (ref == null || ref.isBlank()) ref = DEFAULT_MODEL;
        if (BUILTIN_MODELS.contains(ref) && !Files.exists(Path.of(ref))) return loadBuiltin(ref);
        Path path = Path.of(ref);
        if (!Files.exists(path))
            throw new ModelNotFoundException("no model '" + ref + "': not a built-in model " + BUILTIN_MODELS + " and no such file or directory");
        if (ModelArchive.isArchive(path)) return loadArchive(ModelArchive.open(path, options.cacheDir()));
        if (Files.isDirectory(path)) return loadExport(path);
        if (ref.endsWith(".json")) return onBuiltinBackbone(HeadFiles.readHead(path));
        throw new ModelLoadException("cannot load '" + ref + "': expected a .mar archive, an archive or export directory, or a head .json");
    }

    private Model loadBuiltin(String name) {
        Backbone bb = backbone(BackboneFiles.builtin(options.cacheDir()));
        if (name.equals("embed")) return new Model("embed", "1", Model.Task.EMBED, bb, List.of(), null, null);
        return onBuiltinBackbone(readBuiltinHead(name));
    }

    /** A model of one head (softmax or pair) on the embedded backbone, named after the head. */
    private Model onBuiltinBackbone(Head head) {
        Backbone bb = backbone(BackboneFiles.builtin(options.cacheDir()));
        if (head instanceof PairHead p) return new Model(p.name(), "1", Model.Task.PAIR, bb, List.of(), null, null, p, null);
        return new Model(head.name(), "1", Model.Task.CLASSIFY, bb, List.of((SoftmaxHead) head), null, null);
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
        String res = String.format(HEAD_RESOURCE, name);
        try (InputStream in = Engine.class.getClassLoader().getResourceAsStream(res)) {
            if (in == null) throw new ModelLoadException("the built-in '" + name + "' head is missing from this build (" + res + ")");
            return HeadFiles.readHead(in, res);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read built-in head " + res + ": " + e.getMessage(), e);
        }
    }

    private Model loadArchive(Path dir) {
        Manifest m = ModelArchive.readManifest(dir);
        BackboneFiles files = m.backbone().equals(BackboneFiles.BUILTIN) ? BackboneFiles.builtin(options.cacheDir())
                : m.backbone().startsWith("builtin:") ? unknownBuiltin(m.backbone())
                : BackboneFiles.ofDirectory(dir);
        Backbone bb = backbone(files);
        if (m.task().equals("pair")) return loadPairArchive(m, dir, bb);
        List<SoftmaxHead> heads = new ArrayList<>();
        for (String h : m.heads()) heads.add(HeadFiles.read(dir.resolve(h)));
        Model.Task task = m.task().equals("embed") ? Model.Task.EMBED : Model.Task.CLASSIFY;
        return new Model(m.modelName(), m.modelVersion(), task, bb, heads, configLabels(files), m);
    }

    /** A pair archive: its first head is a pair head (bi-encoder), or it has none and the backbone is a cross-encoder. */
    private static Model loadPairArchive(Manifest m, Path dir, Backbone bb) {
        if (!m.heads().isEmpty()) {
            Head h = HeadFiles.readHead(dir.resolve(m.heads().get(0)));
            if (!(h instanceof PairHead p))
                throw new ModelLoadException("pair archive '" + m.modelName() + "': head " + m.heads().get(0) + " is not a pair head");
            return new Model(m.modelName(), m.modelVersion(), Model.Task.PAIR, bb, List.of(), null, m, p, null);
        }
        RecordFormat format = RecordFormat.products();
        JsonNode rec = m.extra().get("record");
        if (rec != null) {
            List<String> fields = new ArrayList<>();
            rec.path("fields").forEach(f -> fields.add(f.asText()));
            format = new RecordFormat(fields, rec.path("maxTokensPerSide").asInt(format.maxTokensPerSide()));
        }
        return new Model(m.modelName(), m.modelVersion(), Model.Task.PAIR, bb, List.of(), null, m, null, format);
    }

    private static BackboneFiles unknownBuiltin(String name) {
        throw new ModelLoadException("unknown built-in backbone '" + name + "'; known: " + BackboneFiles.BUILTIN);
    }

    private Model loadExport(Path dir) {
        BackboneFiles files = BackboneFiles.ofDirectory(dir);
        Backbone bb = backbone(files);
        boolean logits = bb.signature().kind() == OutputKind.LOGITS;
        String name = dir.toAbsolutePath().normalize().getFileName().toString().replaceAll("[^A-Za-z0-9_.-]", "_");
        return new Model(name, "1", logits ? Model.Task.CLASSIFY : Model.Task.EMBED, bb, List.of(), configLabels(files), null);
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

    /** Closes a backbone no model uses any more and forgets it; the next load opens it again. */
    public synchronized void release(Backbone backbone) {
        if (backbones.remove(backbone.id(), backbone)) backbone.close();
    }

    /** One request of a mixed batch: which model answers which input. */
    public record Request(Model model, TextInput input) { }

    /**
     * Answers requests for any mix of models; requests whose models share a backbone are tokenized
     * together and run in one forward pass, then each model's head is applied.
     */
    public List<Prediction> predict(List<Request> requests) {
        Map<Backbone, List<Integer>> byBackbone = new LinkedHashMap<>();
        for (int i = 0; i < requests.size(); i++)
            byBackbone.computeIfAbsent(requests.get(i).model().backbone(), b -> new ArrayList<>()).add(i);
        Prediction[] out = new Prediction[requests.size()];
        for (var e : byBackbone.entrySet()) {
            List<Tokens> tokens = new ArrayList<>();
            for (int i : e.getValue()) {
                Request r = requests.get(i);
                tokens.add(r.model().tokenize(List.of(r.input())).get(0));
            }
            Forward f = e.getKey().forward(tokens);
            for (int k = 0; k < e.getValue().size(); k++) {
                int i = e.getValue().get(k);
                out[i] = requests.get(i).model().predict(f.vectors()[k]);
            }
        }
        return List.of(out);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        List<Backbone> all = new ArrayList<>(backbones.values());
        java.util.Collections.reverse(all);
        all.forEach(Backbone::close);
        backbones.clear();
    }
}
