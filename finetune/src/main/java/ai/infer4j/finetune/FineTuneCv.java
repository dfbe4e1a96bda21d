package ai.infer4j.finetune;

import ai.djl.ndarray.NDManager;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.data.LabeledText;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.train.IntentTrainer;
import ai.infer4j.engine.train.LexicalTrainer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * k-fold cross-validation of a fine-tuning recipe on the data files pooled (train rows first, then valid): the folds of
 * {@code train --cv} ({@link IntentTrainer#cvFolds}), so fine-tuned and frozen recipes are scored on the same held-out
 * rows. One fold per call ({@link #runFold}): a fold of Banking77 is a 4-minute run, so folds run as separate commands,
 * each writing a small result file ({@link #file}); {@link #summarize} reads them back and reports the held-out accuracy
 * after every epoch as a mean and standard deviation over the folds.
 */
public final class FineTuneCv {
    private static final ObjectMapper JSON = new ObjectMapper();

    private FineTuneCv() {
    }

    /** Scales of the lexical layer's logits tried with {@code --lexical}: those of {@code train --cv --lexical}. */
    public static final List<Double> LEXICAL_SCALES = Arrays.stream(IntentTrainer.lexicalScales()).boxed().toList();

    /**
     * One fold's result: held-out accuracy and mean training loss after each epoch. {@code fold} counts from 1;
     * {@code setup} is what must match across the folds of one cross-validation (backbone, data files, recipe, folds).
     * With a lexical layer, {@code heldAccuracyByLexicalScale} is the final model's held-out accuracy with the lexical
     * logits added at each of {@link #LEXICAL_SCALES} (empty without one). {@code logits} (not read back from a file) are
     * the held-out rows' logits, written beside the result for analysis.
     */
    public record FoldResult(int folds, int fold, JsonNode setup, int fitRows, int heldRows, List<Double> heldAccuracy,
                             List<Double> trainLoss, List<Double> heldAccuracyByLexicalScale, HeldLogits logits) {
        public FoldResult {
            heldAccuracyByLexicalScale = List.copyOf(heldAccuracyByLexicalScale);
            if (!heldAccuracyByLexicalScale.isEmpty() && heldAccuracyByLexicalScale.size() != LEXICAL_SCALES.size())
                throw new IllegalArgumentException("one held-out accuracy per lexical scale " + LEXICAL_SCALES + ", got " + heldAccuracyByLexicalScale);
            if (folds < 2) throw new IllegalArgumentException("folds must be >= 2, got " + folds);
            if (fold < 1 || fold > folds) throw new IllegalArgumentException("fold must be in 1.." + folds + ", got " + fold);
            Objects.requireNonNull(setup, "setup");
            heldAccuracy = List.copyOf(heldAccuracy);
            trainLoss = List.copyOf(trainLoss);
            if (heldAccuracy.size() != trainLoss.size())
                throw new IllegalArgumentException("one held-out accuracy per epoch: " + heldAccuracy.size() + " vs " + trainLoss.size());
        }
    }

    /**
     * The held-out rows of a fold (indices into the pooled rows), the fine-tuned model's logits of each and, with a
     * lexical layer, its unscaled logits.
     */
    public record HeldLogits(int[] rows, List<String> labels, float[][] fineTuned, double[][] lexical) { }

    /**
     * Per-epoch held-out accuracy over the folds (mean, population standard deviation as {@code train --cv}), and the
     * folds; with a lexical layer, the final epoch's held-out accuracy per lexical scale ({@code lexicalMean},
     * {@code lexicalStd}, aligned with {@link #LEXICAL_SCALES}; empty without one).
     */
    public record Summary(int folds, JsonNode setup, List<FoldResult> results, double[] mean, double[] std, double[] lexicalMean,
                          double[] lexicalStd) {
        /** The epoch (from 1) with the best mean held-out accuracy; ties: the earlier epoch. */
        public int bestEpoch() {
            return argmax(mean) + 1;
        }

        /** The lexical scale with the best mean held-out accuracy (ties: the smaller scale); 0 without a lexical layer. */
        public double lexicalScale() {
            return lexicalMean.length == 0 ? 0 : LEXICAL_SCALES.get(argmax(lexicalMean));
        }

        /** As head metadata: folds, rows, per-epoch mean and std, final-epoch accuracy per fold. */
        public ObjectNode toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.put("folds", folds);
            o.put("foldSeed", setup.get("foldSeed").asLong());
            o.put("rows", results.get(0).fitRows() + results.get(0).heldRows());
            o.put("objective", "held-out accuracy of the recipe over " + folds + " folds of the pooled data (the folds of train --cv), "
                    + "then trained on all rows");
            ArrayNode m = o.putArray("heldAccuracyMeanByEpoch"), s = o.putArray("heldAccuracyStdByEpoch");
            for (int e = 0; e < mean.length; e++) {
                m.add(round(mean[e]));
                s.add(round(std[e]));
            }
            ArrayNode per = o.putArray("heldAccuracyPerFold");
            for (FoldResult r : results) per.add(round(r.heldAccuracy().get(r.heldAccuracy().size() - 1)));
            if (lexicalMean.length > 0) {
                ObjectNode l = o.putObject("lexical");
                l.put("maxFeatures", setup.get("lexicalFeatures").asInt());
                l.put("rule", "held-out logits = fine-tuned logits + lexicalScale * lexical logits (softmax regression on the "
                        + "TF-IDF vector, trained on the same folds); the scale with the best mean is kept (0: no lexical layer)");
                ArrayNode sc = l.putArray("scales"), lm = l.putArray("heldAccuracyMeanByScale"), ls = l.putArray("heldAccuracyStdByScale");
                for (int i = 0; i < lexicalMean.length; i++) {
                    sc.add(LEXICAL_SCALES.get(i));
                    lm.add(round(lexicalMean[i]));
                    ls.add(round(lexicalStd[i]));
                }
                l.put("selectedScale", lexicalScale());
                ArrayNode pf = l.putArray("heldAccuracyPerFold");
                int best = argmax(lexicalMean);
                for (FoldResult r : results) pf.add(round(r.heldAccuracyByLexicalScale().get(best)));
            }
            return o;
        }
    }

    /** Index of the largest value (ties: the first). */
    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** The rows of the files, in order (train first, then valid), as one list; adds each file's row count to {@code counts}. */
    public static List<LabeledText> pool(List<Path> files, List<Integer> counts) {
        List<LabeledText> rows = new ArrayList<>();
        for (Path f : files) {
            List<LabeledText> r = DataFiles.readLabeled(f);
            counts.add(r.size());
            rows.addAll(r);
        }
        return rows;
    }

    /** The result file of fold {@code fold} (from 1) of {@code folds} in {@code dir}. */
    public static Path file(Path dir, int folds, int fold) {
        return dir.resolve("fold-" + fold + "-of-" + folds + ".json");
    }

    /** The held-out logits written beside a fold's result file (for analysis; the summary does not read them). */
    public static Path logitsFile(Path dir, int folds, int fold) {
        return dir.resolve("fold-" + fold + "-of-" + folds + "-logits.json");
    }

    /**
     * What every fold of one cross-validation shares: backbone, data files (name, SHA-256, rows), fold seed, recipe and,
     * when a lexical layer is tried, its feature count ({@code lexicalFeatures} null: none; 0: every feature).
     */
    public static ObjectNode setup(String backbone, List<Path> files, List<Integer> rows, int folds, long foldSeed, FineTuneOptions o,
                                   Integer lexicalFeatures) {
        ObjectNode s = JSON.createObjectNode();
        s.put("backbone", backbone.contains("/") || backbone.contains("\\") ? Path.of(backbone).getFileName().toString() : backbone);
        ArrayNode data = s.putArray("data");
        for (int i = 0; i < files.size(); i++) data.add(IntentTrainer.fileInfo(JSON, files.get(i), rows.get(i)));
        s.put("folds", folds);
        s.put("foldSeed", foldSeed);
        o.put(s.putObject("recipe"));
        if (lexicalFeatures != null) s.put("lexicalFeatures", lexicalFeatures);
        try {
            return (ObjectNode) JSON.readTree(JSON.writeValueAsString(s)); // as read back from a file: equal node types
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Fine-tunes on every pooled row outside fold {@code fold} (from 1) and scores the fold's rows after every epoch;
     * with {@code lexicalFeatures} (not null) also trains a lexical layer on the same rows and scores the final model
     * with its logits added at each of {@link #LEXICAL_SCALES}. Nothing is exported: the result is the accuracy.
     */
    public static FoldResult runFold(BackboneFiles backbone, String backboneName, List<Path> files, int folds, int fold, long foldSeed,
                                     FineTuneOptions o, Integer lexicalFeatures, Progress progress) {
        if (folds < 2) throw new BadInputException("--cv must be >= 2, got " + folds);
        if (fold < 1 || fold > folds) throw new BadInputException("--fold must be in 1.." + folds + ", got " + fold);
        List<Integer> counts = new ArrayList<>();
        List<LabeledText> rows = pool(files, counts);
        if (rows.size() < 2 * folds) throw new BadInputException("--cv " + folds + " needs at least " + 2 * folds + " rows, got " + rows.size());
        int[] fold0 = IntentTrainer.cvFolds(rows.size(), folds, foldSeed);
        List<LabeledText> fit = new ArrayList<>(), held = new ArrayList<>();
        List<Integer> heldIndex = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            (fold0[i] == fold - 1 ? held : fit).add(rows.get(i));
            if (fold0[i] == fold - 1) heldIndex.add(i);
        }
        Set<String> fitLabels = new HashSet<>();
        for (LabeledText t : fit) fitLabels.add(t.label());
        for (LabeledText t : held)
            if (!fitLabels.contains(t.label()))
                throw new BadInputException("label '" + t.label() + "' has all its rows in fold " + fold + " of " + folds
                        + "; use fewer folds or more rows of it");
        BertWeights weights = BertWeights.read(backbone.model());
        try (NDManager m = NDManager.newBaseManager()) {
            FineTuner.Result r = FineTuner.train(weights, backbone.tokenizer(), backbone.pooling(), fit, held, o, m, progress);
            List<Double> byScale = new ArrayList<>();
            double[][] lex = null;
            if (lexicalFeatures != null) {
                LexicalTrainer.Fitted l = lexical(fit, r.labels(), o.seed(), lexicalFeatures, "fold " + fold + " lexical", progress);
                lex = LexicalTrainer.logits(l, held.stream().map(LabeledText::text).toList());
                int[] y = labelIndex(held, r.labels());
                for (double scale : LEXICAL_SCALES) byScale.add(FineTuner.accuracy(sum(r.validLogits(), lex, scale), y));
            }
            return new FoldResult(folds, fold, setup(backboneName, files, counts, folds, foldSeed, o, lexicalFeatures), fit.size(),
                    held.size(), r.validAccuracy(), r.trainLoss(), byScale,
                    new HeldLogits(heldIndex.stream().mapToInt(Integer::intValue).toArray(), r.labels(), r.validLogits(), lex));
        }
    }

    /** A lexical layer trained on {@code rows} (labels indexed as in {@code labels}), as {@code train --lexical} trains one. */
    static LexicalTrainer.Fitted lexical(List<LabeledText> rows, List<String> labels, long seed, int features, String stage, Progress progress) {
        AtomicInteger epoch = new AtomicInteger();
        return LexicalTrainer.train(rows.stream().map(LabeledText::text).toList(), labelIndex(rows, labels), labels.size(), seed, features,
                () -> progress.update(stage, epoch.incrementAndGet(), LexicalTrainer.EPOCHS));
    }

    private static int[] labelIndex(List<LabeledText> rows, List<String> labels) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < labels.size(); i++) index.put(labels.get(i), i);
        return rows.stream().mapToInt(t -> index.get(t.label())).toArray();
    }

    /** {@code a + scale * b}, row by row. */
    private static float[][] sum(float[][] a, double[][] b, double scale) {
        float[][] out = new float[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = new float[a[i].length];
            for (int j = 0; j < a[i].length; j++) out[i][j] = (float) (a[i][j] + scale * b[i][j]);
        }
        return out;
    }

    /**
     * Writes the result to {@code file} and, when it carries them, the held-out logits beside it ({@link #logitsFile}:
     * pooled row indices, labels, and each logit matrix as base64 little-endian float32, row-major).
     */
    public static void write(FoldResult r, Path file) {
        ObjectNode o = JSON.createObjectNode();
        o.put("folds", r.folds());
        o.put("fold", r.fold());
        o.set("setup", r.setup());
        o.put("fitRows", r.fitRows());
        o.put("heldRows", r.heldRows());
        ArrayNode a = o.putArray("heldAccuracyByEpoch");
        for (double v : r.heldAccuracy()) a.add(v);
        ArrayNode l = o.putArray("trainLossByEpoch");
        for (double v : r.trainLoss()) l.add(v);
        if (!r.heldAccuracyByLexicalScale().isEmpty()) {
            ArrayNode s = o.putArray("lexicalScales"), h = o.putArray("heldAccuracyByLexicalScale");
            for (double v : LEXICAL_SCALES) s.add(v);
            for (double v : r.heldAccuracyByLexicalScale()) h.add(v);
        }
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
            if (r.logits() != null && file.getParent() != null)
                Files.writeString(logitsFile(file.getParent(), r.folds(), r.fold()), JSON.writeValueAsString(logitsJson(r.logits())) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static ObjectNode logitsJson(HeldLogits h) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode rows = o.putArray("rows");
        for (int i : h.rows()) rows.add(i);
        ArrayNode labels = o.putArray("labels");
        h.labels().forEach(labels::add);
        o.put("fineTuned", IntentTrainer.base64Float32(h.fineTuned()));
        if (h.lexical() != null) o.put("lexical", IntentTrainer.base64Float32(h.lexical()));
        return o;
    }

    public static FoldResult read(Path file) {
        JsonNode o;
        try {
            o = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new BadInputException("cannot read fold result " + file + ": " + e.getMessage());
        }
        if (o == null || !o.has("folds") || !o.has("fold") || !o.has("setup") || !o.has("heldAccuracyByEpoch"))
            throw new BadInputException(file + " is not a finetune --cv fold result");
        List<Double> acc = new ArrayList<>(), loss = new ArrayList<>();
        o.get("heldAccuracyByEpoch").forEach(v -> acc.add(v.asDouble()));
        o.path("trainLossByEpoch").forEach(v -> loss.add(v.asDouble()));
        List<Double> byScale = new ArrayList<>();
        o.path("heldAccuracyByLexicalScale").forEach(v -> byScale.add(v.asDouble()));
        return new FoldResult(o.get("folds").asInt(), o.get("fold").asInt(), o.get("setup"), o.path("fitRows").asInt(),
                o.path("heldRows").asInt(), acc, loss, byScale, null);
    }

    /**
     * Combines the fold results: every fold 1..k once, all of one setup (same backbone, data, folds and recipe), else a
     * message that says which file differs or is missing.
     */
    public static Summary summarize(Path dir, int folds, JsonNode expectedSetup) {
        List<FoldResult> results = new ArrayList<>();
        for (int f = 1; f <= folds; f++) {
            Path p = file(dir, folds, f);
            if (!Files.isRegularFile(p)) throw new BadInputException("missing " + p + ": run the same command with --fold " + f);
            FoldResult r = read(p);
            if (r.folds() != folds || r.fold() != f) throw new BadInputException(p + " holds fold " + r.fold() + " of " + r.folds());
            if (expectedSetup != null && !expectedSetup.equals(r.setup()))
                throw new BadInputException(p + " was made with another setup (backbone, data, folds or recipe): " + r.setup()
                        + "; expected " + expectedSetup + ". Use another --cv-dir or remove it");
            results.add(r);
        }
        return summarize(results);
    }

    /** Mean and standard deviation per epoch over fold results of one setup. */
    public static Summary summarize(List<FoldResult> results) {
        if (results.isEmpty()) throw new IllegalArgumentException("no fold results");
        JsonNode setup = results.get(0).setup();
        int epochs = results.get(0).heldAccuracy().size();
        for (FoldResult r : results)
            if (!r.setup().equals(setup) || r.heldAccuracy().size() != epochs)
                throw new IllegalArgumentException("fold " + r.fold() + " was made with another setup");
        int scales = results.get(0).heldAccuracyByLexicalScale().size();
        for (FoldResult r : results)
            if (r.heldAccuracyByLexicalScale().size() != scales) throw new IllegalArgumentException("fold " + r.fold() + " was made with another setup");
        double[][] byEpoch = new double[epochs][], byScale = new double[scales][];
        for (int e = 0; e < epochs; e++) {
            int epoch = e;
            byEpoch[e] = results.stream().mapToDouble(r -> r.heldAccuracy().get(epoch)).toArray();
        }
        for (int i = 0; i < scales; i++) {
            int scale = i;
            byScale[i] = results.stream().mapToDouble(r -> r.heldAccuracyByLexicalScale().get(scale)).toArray();
        }
        return new Summary(results.get(0).folds(), setup, List.copyOf(results), means(byEpoch), stds(byEpoch), means(byScale), stds(byScale));
    }

    private static double[] means(double[][] v) {
        return Arrays.stream(v).mapToDouble(a -> Arrays.stream(a).sum() / a.length).toArray();
    }

    /** Population standard deviation of each row (as {@code train --cv}). */
    private static double[] stds(double[][] v) {
        double[] m = means(v), s = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            for (double a : v[i]) s[i] += (a - m[i]) * (a - m[i]) / v[i].length;
            s[i] = Math.sqrt(s[i]);
        }
        return s;
    }

    private static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }
}
