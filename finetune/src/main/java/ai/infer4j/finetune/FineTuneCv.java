package ai.infer4j.finetune;

import ai.djl.ndarray.NDManager;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.data.LabeledText;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.train.IntentTrainer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

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

    /**
     * One fold's result: held-out accuracy and mean training loss after each epoch. {@code fold} counts from 1;
     * {@code setup} is what must match across the folds of one cross-validation (backbone, data files, recipe, folds).
     */
    public record FoldResult(int folds, int fold, JsonNode setup, int fitRows, int heldRows, List<Double> heldAccuracy,
                             List<Double> trainLoss) {
        public FoldResult {
            if (folds < 2) throw new IllegalArgumentException("folds must be >= 2, got " + folds);
            if (fold < 1 || fold > folds) throw new IllegalArgumentException("fold must be in 1.." + folds + ", got " + fold);
            Objects.requireNonNull(setup, "setup");
            heldAccuracy = List.copyOf(heldAccuracy);
            trainLoss = List.copyOf(trainLoss);
            if (heldAccuracy.size() != trainLoss.size())
                throw new IllegalArgumentException("one held-out accuracy per epoch: " + heldAccuracy.size() + " vs " + trainLoss.size());
        }
    }

    /** Per-epoch held-out accuracy over the folds (mean, population standard deviation as {@code train --cv}), and the folds. */
    public record Summary(int folds, JsonNode setup, List<FoldResult> results, double[] mean, double[] std) {
        /** The epoch (from 1) with the best mean held-out accuracy; ties: the earlier epoch. */
        public int bestEpoch() {
            int best = 0;
            for (int e = 1; e < mean.length; e++) if (mean[e] > mean[best]) best = e;
            return best + 1;
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
            return o;
        }
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

    /** What every fold of one cross-validation shares: backbone, data files (name, SHA-256, rows), fold seed, recipe. */
    public static ObjectNode setup(String backbone, List<Path> files, List<Integer> rows, int folds, long foldSeed, FineTuneOptions o) {
        ObjectNode s = JSON.createObjectNode();
        s.put("backbone", backbone.contains("/") || backbone.contains("\\") ? Path.of(backbone).getFileName().toString() : backbone);
        ArrayNode data = s.putArray("data");
        for (int i = 0; i < files.size(); i++) data.add(IntentTrainer.fileInfo(JSON, files.get(i), rows.get(i)));
        s.put("folds", folds);
        s.put("foldSeed", foldSeed);
        o.put(s.putObject("recipe"));
        try {
            return (ObjectNode) JSON.readTree(JSON.writeValueAsString(s)); // as read back from a file: equal node types
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Fine-tunes on every pooled row outside fold {@code fold} (from 1) and scores the fold's rows after every epoch.
     * Nothing is exported: the result is the per-epoch accuracy.
     */
    public static FoldResult runFold(BackboneFiles backbone, String backboneName, List<Path> files, int folds, int fold, long foldSeed,
                                     FineTuneOptions o, Progress progress) {
        if (folds < 2) throw new BadInputException("--cv must be >= 2, got " + folds);
        if (fold < 1 || fold > folds) throw new BadInputException("--fold must be in 1.." + folds + ", got " + fold);
        List<Integer> counts = new ArrayList<>();
        List<LabeledText> rows = pool(files, counts);
        if (rows.size() < 2 * folds) throw new BadInputException("--cv " + folds + " needs at least " + 2 * folds + " rows, got " + rows.size());
        int[] fold0 = IntentTrainer.cvFolds(rows.size(), folds, foldSeed);
        List<LabeledText> fit = new ArrayList<>(), held = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) (fold0[i] == fold - 1 ? held : fit).add(rows.get(i));
        Set<String> fitLabels = new HashSet<>();
        for (LabeledText t : fit) fitLabels.add(t.label());
        for (LabeledText t : held)
            if (!fitLabels.contains(t.label()))
                throw new BadInputException("label '" + t.label() + "' has all its rows in fold " + fold + " of " + folds
                        + "; use fewer folds or more rows of it");
        BertWeights weights = BertWeights.read(backbone.model());
        try (NDManager m = NDManager.newBaseManager()) {
            FineTuner.Result r = FineTuner.train(weights, backbone.tokenizer(), backbone.pooling(), fit, held, o, m, progress);
            return new FoldResult(folds, fold, setup(backboneName, files, counts, folds, foldSeed, o), fit.size(), held.size(),
                    r.validAccuracy(), r.trainLoss());
        }
    }

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
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
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
        return new FoldResult(o.get("folds").asInt(), o.get("fold").asInt(), o.get("setup"), o.path("fitRows").asInt(),
                o.path("heldRows").asInt(), acc, loss);
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
        int n = results.size();
        double[] mean = new double[epochs], std = new double[epochs];
        for (int e = 0; e < epochs; e++) {
            for (FoldResult r : results) mean[e] += r.heldAccuracy().get(e) / n;
            for (FoldResult r : results) std[e] += Math.pow(r.heldAccuracy().get(e) - mean[e], 2) / n;
            std[e] = Math.sqrt(std[e]);
        }
        return new Summary(results.get(0).folds(), setup, List.copyOf(results), mean, std);
    }

    private static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }
}
