package ai.infer4j.cli;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.optimize.GraphOptimizer;
import ai.infer4j.engine.optimize.Int8Quantizer;
import ai.infer4j.engine.optimize.OptimizeRequest;
import ai.infer4j.engine.optimize.OptimizeRequest.Precision;
import ai.infer4j.engine.optimize.OptimizeRequest.Source;
import ai.infer4j.engine.optimize.Optimizer;
import ai.infer4j.engine.optimize.Optimizer.OptimizeResult;
import ai.infer4j.engine.optimize.ParityReport;
import ai.infer4j.engine.optimize.VariantBench;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.data.LabeledPair;
import ai.infer4j.engine.task.BiEncoderPair;
import ai.infer4j.engine.task.PairTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** Builds an INT8 or graph-optimized variant archive behind an accuracy-parity gate, or benchmarks the variants. */
@Command(name = "optimize", mixinStandardHelpOptions = true,
        description = {"Write an optimized variant of a model: ONNX Runtime graph optimization, INT8 weights (--precision int8),",
                "checked against the FP32 model on --eval data (top-1 agreement, accuracy drop, embedding cosine; pair models:",
                "duplicate-decision agreement, F1 drop). INT8 forms are tried fastest first; the first that passes is written.",
                "Exit code 3: the parity gate refused the variant (nothing written unless --force).",
                "--bench: FP32 vs infer4j INT8 vs the artifact INT8 (and any --compare ONNX model): batch-1 latency, throughput, parity,",
                "measured in one run, alternating (writes both variants under --out); a pair model is timed on the records of its --eval pairs."})
final class OptimizeCommand implements Callable<Integer> {
    static final int GATE_FAILED = 3;

    @Option(names = {"-m", "--model"}, description = "model name or path (default: intent)")
    String model = Engine.DEFAULT_MODEL;

    @Option(names = "--precision", description = "int8 or fp32 (default: ${DEFAULT-VALUE})", defaultValue = "int8")
    String precision;

    @Option(names = "--source", description = "infer4j (quantize here) or artifact (the ready INT8 MiniLM; built-in backbone only) (default: ${DEFAULT-VALUE})",
            defaultValue = "infer4j")
    String source;

    @Option(names = "--eval", split = ",", description = {"labelled JSON lines for the parity gate (several files: one set);",
            "for a pair model (duplicate) labelled pairs, e.g. ../shared/data/products/amazon-google/valid.jsonl,../shared/data/products/walmart-amazon/valid.jsonl"})
    List<Path> eval = new ArrayList<>();

    @Option(names = "--retrain", description = "training JSON lines: re-train the head on the variant if the gate fails")
    Path retrain;

    @Option(names = "--out", required = true, description = "variant archive (.mar, or a directory); with --bench, a directory for both variants")
    Path out;

    @Option(names = "--opt-level", description = "graph optimization saved in the variant: basic, extended or all (default: ${DEFAULT-VALUE})",
            defaultValue = "extended")
    String optLevel;

    @Option(names = "--reduce-range", description = "7-bit weights [-63, 63] instead of the full 8-bit range: for serving CPUs without"
            + " VNNI (AVX2/AVX-512 u8s8 kernels can saturate there); costs some parity")
    boolean reduceRange;

    @Option(names = "--fast-gelu", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = {"the tanh approximation of GELU (FastGelu) in the first form: faster, outputs move by ~1e-3; when the gate",
                    "refuses it the exact GELU is the first fallback. --no-fast-gelu starts from the exact GELU. (default: on)"})
    boolean fastGelu;

    @Option(names = "--smooth", description = "SmoothQuant strength alpha in (0, 1] (0 = off), calibrated on --retrain or --eval texts (default: ${DEFAULT-VALUE})",
            defaultValue = "0")
    double smooth;

    @Option(names = "--smooth-all", description = "smooth every quantized MatMul, not only the feed-forward down-projections")
    boolean smoothAll;

    @Option(names = "--token-scale", negatable = true, description = {"per-token activation ranges for the feed-forward down-projections"
            + " (each row of their input is scaled to max |x| = 1 before quantizing and back after): closer to float, ~16%% slower.",
            "Default (--no-token-scale): not in the first form, but the first fallback when the gate refuses it (--keep-float '^$' turns fallbacks off)."})
    boolean tokenScale;

    @Option(names = "--attention", description = {"fuse each self-attention block into one ONNX Runtime operator: none, mha"
            + " (MultiHeadAttention after the int8 Q/K/V projection) or qattention (QAttention: int8 projection and attention in one)",
            "(default: ${DEFAULT-VALUE})"}, defaultValue = "qattention")
    String attention;

    @Option(names = "--unfused", description = "quantize MatMuls one by one and fuse no residual LayerNorm (the first INT8 form; for comparison)")
    boolean unfused;

    @Option(names = "--float-embeddings", description = "keep the word-embedding table in float (default: int8, one scale per row)")
    boolean floatEmbeddings;

    @Option(names = "--keep-widest", description = "keep the widest-input MatMuls (feed-forward down-projections) in float from the start;"
            + " without it they are kept in float only if the all-INT8 graph fails the gate")
    boolean keepWidest;

    @Option(names = "--float-widest", split = ",", description = {"positions (0-based, graph order) of the widest-input MatMuls to keep in float,",
            "e.g. 1 = layer 1's feed-forward down-projection. Without it, the automatic fallback tries each position in turn",
            "(then the best two) after the all-INT8 forms; giving it pins the form (no fallback)."})
    List<Integer> floatWidest = new ArrayList<>();

    @Option(names = "--keep-float", description = {"regular expression: MatMul/Gemm nodes whose name matches stay in float.",
            "Giving it turns the automatic fallback off ('^$' keeps nothing in float and never falls back)."})
    String keepFloat;

    @Option(names = "--min-agreement", description = "gate: least top-1 agreement with FP32 (default: ${DEFAULT-VALUE})", defaultValue = "0.99")
    double minAgreement;

    @Option(names = "--max-drop", description = "gate: largest accuracy (pair models: F1) drop, in points (default: ${DEFAULT-VALUE})", defaultValue = "0.5")
    double maxDrop;

    @Option(names = "--drop-confidence", description = {"gate: refuse a metric drop above --max-drop only when a paired bootstrap of the",
            "FP32 and variant answers says so with this confidence; 0 = the measured drop alone decides (default: ${DEFAULT-VALUE})"},
            defaultValue = "0.95")
    double dropConfidence;

    @Option(names = "--min-cosine-p1", description = "gate for embedding models: least 1st-percentile cosine (default: ${DEFAULT-VALUE})", defaultValue = "0.95")
    double minCosineP1;

    @Option(names = "--oos-label", description = "out-of-scope label (default: ${DEFAULT-VALUE})", defaultValue = "oos")
    String oosLabel;

    @Option(names = "--force", description = "write the archive even when the gate fails (recorded as passed: false)")
    boolean force;

    @Option(names = "--bench", description = "benchmark FP32, infer4j INT8 and artifact INT8 (needs --eval; a pair model: labelled pairs)")
    boolean bench;

    @Option(names = "--compare", split = ",", description = "with --bench: also measure these ONNX models in the same run"
            + " (export directories with model.onnx + tokenizer.json, or such a model.onnx), e.g. a ready INT8 export")
    List<Path> compare = new ArrayList<>();

    @Option(names = "--bench-queries", description = "batch-1 queries per variant (default: ${DEFAULT-VALUE})", defaultValue = "1000")
    int benchQueries;

    @Option(names = "--bench-bulk", description = "texts per throughput run (default: ${DEFAULT-VALUE})", defaultValue = "2048")
    int benchBulk;

    @Option(names = "--bench-rounds", description = "throughput rounds per batch size, alternating the variants (default: ${DEFAULT-VALUE})",
            defaultValue = "3")
    int benchRounds;

    @Option(names = "--bench-sizes", split = ",", description = "batch sizes of the throughput runs (default: ${DEFAULT-VALUE})",
            defaultValue = "1,8,32,64")
    List<Integer> benchSizes;

    @Mixin
    EngineFlags engineFlags;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        try (Engine engine = Engine.create(engineFlags.options())) {
            if (bench) return bench(engine, stdout);
            OptimizeResult r = Optimizer.run(engine, request(model, parse(Precision.class, precision), parse(Source.class, source), out),
                    new ProgressBar(System.err));
            return report(r, stdout);
        }
    }

    private OptimizeRequest request(String m, Precision p, Source s, Path target) {
        return new OptimizeRequest(m, p, s, eval, retrain, target, GraphOptimizer.Level.parse(optLevel),
                quantization(), new ParityReport.Thresholds(minAgreement, maxDrop, minCosineP1, dropConfidence), oosLabel, force);
    }

    private Int8Quantizer.Options quantization() {
        Int8Quantizer.Options o = Int8Quantizer.Options.defaults().withReduceRange(reduceRange).withKeepFloat(keepFloat)
                .withKeepWidest(keepWidest).withFastGelu(fastGelu).withSmoothing(smooth, smoothAll).withTokenScale(tokenScale)
                .withAttention(attention).withFloatWidest(floatWidest);
        if (unfused) o = o.withMergeSiblings(false).withFuse(false);
        return floatEmbeddings ? o.withEmbeddingRows(0) : o;
    }

    private int report(OptimizeResult r, PrintWriter stdout) {
        var m = r.manifest();
        stdout.printf("%s/%s  precision %s  (%s)%n", m.modelName(), m.modelVersion(), m.extra().get(Optimizer.PRECISION).asText(),
                m.extra().get(Optimizer.OPTIMIZATION).path("ops"));
        if (r.beforeRetrain() != null) {
            stdout.println("FP32-trained head on the variant:");
            stdout.print(r.beforeRetrain().table("fp32", m.modelVersion()));
            stdout.println("after re-training the head on the variant:");
        }
        if (r.parity() != null) stdout.print(r.parity().table("fp32", m.modelVersion()));
        else stdout.println("parity not checked (no --eval): the manifest records no gate, and a server will not prefer this variant");
        if (r.written() != null) stdout.printf("wrote %s%n", r.written());
        stdout.flush();
        if (r.accepted()) return 0;
        spec.commandLine().getErr().printf("error: the parity gate refused %s/%s: %s; %s%n", m.modelName(), m.modelVersion(),
                String.join("; ", r.parity().failures()), r.written() == null ? "nothing written (--force writes it anyway)" : "written because of --force");
        return GATE_FAILED;
    }

    private int bench(Engine engine, PrintWriter stdout) {
        if (eval.isEmpty()) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--bench needs --eval");
        ProgressBar progress = new ProgressBar(System.err);
        Model fp32 = engine.load(model);
        List<String> texts = new ArrayList<>();
        if (fp32.task() instanceof BiEncoderPair bi) { // a pair model embeds records: time it on the records of the pairs
            java.util.Set<String> seen = new java.util.LinkedHashSet<>();
            for (Path f : eval)
                for (LabeledPair p : DataFiles.readPairs(f)) {
                    seen.add(bi.head().format().render(p.pair().left(), "left"));
                    seen.add(bi.head().format().render(p.pair().right(), "right"));
                }
            texts.addAll(seen);
        } else if (fp32.task() instanceof PairTask) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--bench times backbones on texts; '" + fp32.name()
                    + "' is a cross-encoder pair model (no per-record embedding to time)");
        } else {
            for (Path f : eval) DataFiles.readLabeled(f).forEach(d -> texts.add(d.text()));
        }
        Map<String, Model> variants = new LinkedHashMap<>();
        variants.put("fp32", fp32);
        Map<String, ParityReport> parity = new LinkedHashMap<>();
        boolean force0 = force;
        force = true; // benchmark refused variants too, and say so
        try {
            for (Source s : Source.values()) {
                Path target = out.resolve(fp32.name() + "-int8" + (s == Source.ARTIFACT ? "-artifact" : ""));
                OptimizeResult r = Optimizer.run(engine, request(model, Precision.INT8, s, target), progress);
                String name = "int8 (" + s.label() + ")";
                variants.put(name, engine.load(target.toString()));
                parity.put(name, r.parity());
            }
        } finally {
            force = force0;
        }
        for (Path p : compare) {
            Path dirOf = Files.isRegularFile(p) && p.getFileName().toString().endsWith(".onnx") ? p.toAbsolutePath().getParent() : p;
            if (!Files.isRegularFile(dirOf.resolve("model.onnx")) || !Files.isRegularFile(dirOf.resolve("tokenizer.json")))
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--compare " + p
                        + ": give an export directory (or its model.onnx) with model.onnx and tokenizer.json");
            variants.put(p.toString(), engine.load(dirOf.toString()));
        }
        List<String> queries = texts.subList(0, Math.min(benchQueries, texts.size()));
        List<String> bulk = new ArrayList<>();
        for (int i = 0; i < benchBulk; i++) bulk.add(texts.get(i % texts.size()));
        List<VariantBench.Result> results = VariantBench.run(variants, queries, 100, bulk,
                benchSizes.stream().mapToInt(Integer::intValue).toArray(), benchRounds, progress);

        double fp32Tput = results.get(0).bestThroughput();
        stdout.printf(Locale.ROOT, "model %s, %d threads, batch-1 over %d queries (mean %.1f chars), throughput over %d texts%n%n",
                fp32.name(), engine.options().intraOpThreads(), queries.size(),
                queries.stream().mapToInt(String::length).average().orElse(0), bulk.size());
        VariantBench.Result ref = compare.isEmpty() ? null
                : results.stream().filter(r -> r.name().equals(compare.get(0).toString())).findFirst().orElseThrow();
        String refCol = ref == null ? "" : " vs " + compare.get(0).getFileName() + " (sentences/s best round, median of rounds; p50) |";
        stdout.println("| variant | p50 ms (batch 1) | p99 ms (batch 1) | best sentences/s (batch) | vs fp32 |" + refCol
                + " agreement | metric (fp32 -> variant) | cosine mean / p1 | gate |");
        stdout.println("|---|---|---|---|---|" + (ref == null ? "" : "---|") + "---|---|---|---|");
        for (VariantBench.Result r : results) {
            ParityReport p = parity.get(r.name());
            String vsRef = ref == null ? "" : String.format(Locale.ROOT, " %.2fx, %.2fx; %.2fx |", r.bestThroughput() / ref.bestThroughput(),
                    r.medianRoundRatio(ref), ref.latencyP50Ms() / r.latencyP50Ms());
            stdout.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.0f (%d) | %.2fx |%s %s | %s | %s | %s |%n", r.name(), r.latencyP50Ms(), r.latencyP99Ms(),
                    r.bestThroughput(), r.bestBatchSize(), r.bestThroughput() / fp32Tput, vsRef,
                    p == null ? "-" : String.format(Locale.ROOT, "%.4f", p.top1Agreement()),
                    p == null || p.metric() == null ? "-" : String.format(Locale.ROOT, "%s %.4f -> %.4f", p.metric(), p.baselineMetric(), p.variantMetric()),
                    p == null ? "-" : String.format(Locale.ROOT, "%.4f / %.4f", p.cosineMean(), p.cosineP1()),
                    p == null ? "-" : p.passed() ? "passed" : "FAILED");
        }
        stdout.println();
        stdout.println("throughput by batch size (sentences/s):");
        for (VariantBench.Result r : results) stdout.printf(Locale.ROOT, "  %-18s %s%n", r.name(), format(r.throughputBySize()));
        stdout.flush();
        return 0;
    }

    private static String format(Map<Integer, Double> m) {
        StringBuilder b = new StringBuilder();
        m.forEach((k, v) -> b.append(String.format(Locale.ROOT, "b%d=%.0f  ", k, v)));
        return b.toString().trim();
    }

    private <E extends Enum<E>> E parse(Class<E> type, String value) {
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "unknown value '" + value + "'; expected one of "
                    + Arrays.stream(type.getEnumConstants()).map(c -> c.name().toLowerCase(Locale.ROOT)).toList());
        }
    }

}
