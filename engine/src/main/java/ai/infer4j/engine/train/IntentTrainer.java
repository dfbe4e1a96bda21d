package ai.infer4j.engine.train;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.data.LabeledText;
import ai.infer4j.engine.eval.ClassificationReport;
import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.task.HiddenLayer;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.task.SoftmaxHead;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Trains a softmax intent head on a frozen backbone's pooled embeddings: a deterministic grid search
 * over learning rate x L2 x epochs, selected on the valid split, plus a confidence threshold for the
 * out-of-scope label chosen on the same split. The same data, backbone and seed give the same head.
 */
public final class IntentTrainer {
    /** The search grid and the selection rule. */
    public record Grid(double[] learningRates, double[] l2s, int[] epochs, double[] oosThresholds) {
        public static Grid defaults() {
            double[] thresholds = new double[91];
            for (int i = 0; i < thresholds.length; i++) thresholds[i] = i / 100.0;
            return new Grid(new double[] {3e-4, 1e-3}, new double[] {1e-3, 1e-2, 3e-2}, new int[] {5, 10, 20}, thresholds);
        }
    }

    /**
     * What to train. {@code oosLabel} may be null for tasks without out-of-scope examples. {@code cvFolds} 0 selects on
     * {@code validFile}; 2 or more pools train and valid and selects by k-fold cross-validation ({@code oosBudget}: how much
     * held-out in-scope accuracy the out-of-scope threshold may cost, e.g. 0.005). {@code cvDir} (with {@code cvFolds} >= 2,
     * else null): where {@value IntentCrossValidation#LOGITS_FILE} gets every pooled row's held-out logits, for analysis.
     */
    public record Job(String headName, Path trainFile, Path validFile, String oosLabel, long seed, Grid grid, int threads,
                      int cvFolds, double oosBudget, MlpGrid mlp, boolean lexical, int lexicalFeatures, Path cvDir) {
        public Job {
            if (cvDir != null && cvFolds < 2) throw new BadInputException("--cv-dir (held-out logits) needs --cv K (K >= 2)");
            if (lexicalFeatures < 0) throw new BadInputException("--lexical-features must be >= 0 (0: all), got " + lexicalFeatures);
            if (lexicalFeatures > 0 && !lexical) throw new BadInputException("--lexical-features needs --lexical");
            if (cvFolds == 1 || cvFolds < 0) throw new BadInputException("--cv must be 0 (select on valid) or >= 2, got " + cvFolds);
            if (!(oosBudget >= 0 && oosBudget < 1)) throw new BadInputException("out-of-scope budget must be in [0, 1), got " + oosBudget);
            if (mlp != null && cvFolds < 2) throw new BadInputException("an mlp head is selected by cross-validation: add --cv K (K >= 2)");
            if (lexical && cvFolds < 2) throw new BadInputException("a lexical layer's scale is selected by cross-validation: add --cv K (K >= 2)");
        }

        /** No held-out logits written. */
        public Job(String headName, Path trainFile, Path validFile, String oosLabel, long seed, Grid grid, int threads,
                   int cvFolds, double oosBudget, MlpGrid mlp, boolean lexical, int lexicalFeatures) {
            this(headName, trainFile, validFile, oosLabel, seed, grid, threads, cvFolds, oosBudget, mlp, lexical, lexicalFeatures, null);
        }

        /** A lexical layer on every feature (or none). */
        public Job(String headName, Path trainFile, Path validFile, String oosLabel, long seed, Grid grid, int threads,
                   int cvFolds, double oosBudget, MlpGrid mlp, boolean lexical) {
            this(headName, trainFile, validFile, oosLabel, seed, grid, threads, cvFolds, oosBudget, mlp, lexical, 0);
        }

        /** A head without a lexical layer. */
        public Job(String headName, Path trainFile, Path validFile, String oosLabel, long seed, Grid grid, int threads,
                   int cvFolds, double oosBudget, MlpGrid mlp) {
            this(headName, trainFile, validFile, oosLabel, seed, grid, threads, cvFolds, oosBudget, mlp, false);
        }

        /** A linear softmax head. */
        public Job(String headName, Path trainFile, Path validFile, String oosLabel, long seed, Grid grid, int threads,
                   int cvFolds, double oosBudget) {
            this(headName, trainFile, validFile, oosLabel, seed, grid, threads, cvFolds, oosBudget, null);
        }

        /** Selection on the valid file (no cross-validation). */
        public Job(String headName, Path trainFile, Path validFile, String oosLabel, long seed, Grid grid, int threads) {
            this(headName, trainFile, validFile, oosLabel, seed, grid, threads, 0, DEFAULT_OOS_BUDGET);
        }
    }

    /**
     * The recipes an MLP head is selected from (each with snapshots at {@code epochs}, ascending).
     */
    public record MlpGrid(List<MlpTrainer.Params> recipes, int[] epochs) {
        public MlpGrid {
            recipes = List.copyOf(recipes);
            if (recipes.isEmpty()) throw new BadInputException("mlp grid needs at least one recipe");
            if (epochs.length == 0) throw new BadInputException("mlp grid needs at least one epoch count");
            for (int i = 0; i < epochs.length; i++)
                if (epochs[i] < 1 || (i > 0 && epochs[i] <= epochs[i - 1]))
                    throw new BadInputException("mlp epochs must be ascending and >= 1, got " + java.util.Arrays.toString(epochs));
        }

        /** The default recipe (chosen by 5-fold CV on Banking77 and CLINC150; docs/models.md). */
        public static MlpGrid defaults() {
            return new MlpGrid(List.of(new MlpTrainer.Params(512, HiddenLayer.RELU, 3e-3, 0.05, 0.6, 0.1, 3)), new int[] {20, 40});
        }
    }

    /** Held-out in-scope accuracy the out-of-scope rule may cost under cross-validation. */
    public static final double DEFAULT_OOS_BUDGET = 0.005;

    /** Selection objective with cross-validation, recorded in the head's metadata. */
    public static final String CV_OBJECTIVE = "max over grid of mean held-out accuracy over k folds of train+valid pooled "
            + "(ties: first in grid order); then re-trained on all rows";

    /** Selection objective, recorded in the head's metadata. */
    public static final String OBJECTIVE =
            "max over grid x oos threshold of accuracy on valid (all rows, out-of-scope rows included); ties: first in grid order";

    private IntentTrainer() {
    }

    public static SoftmaxHead train(Job job, Backbone backbone, EmbeddingCache cache, Progress progress) {
        List<LabeledText> train = DataFiles.readLabeled(job.trainFile());
        List<LabeledText> valid = DataFiles.readLabeled(job.validFile());
        List<String> labels = new ArrayList<>(new TreeSet<>(train.stream().map(LabeledText::label).toList()));
        if (labels.size() < 2) throw new BadInputException(job.trainFile() + " has fewer than 2 labels");
        for (LabeledText v : valid)
            if (!labels.contains(v.label()))
                throw new BadInputException(job.validFile() + " has label '" + v.label() + "' that never occurs in " + job.trainFile());
        String oos = job.oosLabel() != null && labels.contains(job.oosLabel()) ? job.oosLabel() : null;

        float[][] xTrain = cache.embed(backbone, train.stream().map(LabeledText::text).toList(), "embed train", progress);
        float[][] xValid = cache.embed(backbone, valid.stream().map(LabeledText::text).toList(), "embed valid", progress);
        int[] y = train.stream().mapToInt(t -> labels.indexOf(t.label())).toArray();
        if (job.cvFolds() >= 2) {
            float[][] x = new float[xTrain.length + xValid.length][];
            System.arraycopy(xTrain, 0, x, 0, xTrain.length);
            System.arraycopy(xValid, 0, x, xTrain.length, xValid.length);
            int[] yAll = new int[x.length];
            System.arraycopy(y, 0, yAll, 0, y.length);
            for (int i = 0; i < valid.size(); i++) yAll[y.length + i] = labels.indexOf(valid.get(i).label());
            if (x.length < 2 * job.cvFolds()) throw new BadInputException("--cv " + job.cvFolds() + " needs at least " + 2 * job.cvFolds() + " rows");
            List<String> texts = null;
            if (job.lexical()) {
                texts = new ArrayList<>(x.length);
                for (LabeledText t : train) texts.add(t.text());
                for (LabeledText t : valid) texts.add(t.text());
            }
            return IntentCrossValidation.train(job, labels, oos, x, yAll, texts, train.size(), backbone, progress);
        }
        List<String> validTruth = valid.stream().map(LabeledText::label).toList();

        Grid g = job.grid();
        List<Candidate> candidates = new ArrayList<>();
        for (SoftmaxTrainer.GridPoint p : SoftmaxTrainer.gridSearch(xTrain, y, labels.size(), g.learningRates(), g.l2s(), g.epochs(),
                job.seed(), job.threads(), progress))
            candidates.add(score(p.learningRate(), p.l2(), p.weights(), labels, oos, xValid, validTruth, g.oosThresholds(), job.headName()));
        Candidate best = candidates.get(0);
        for (Candidate c : candidates) if (c.objective > best.objective) best = c;

        ObjectNode meta = metadata(job, backbone, train.size(), valid.size(), candidates, best);
        return new SoftmaxHead(job.headName(), labels, best.weights.w(), best.weights.b(), oos, oos == null ? 0 : best.threshold, meta);
    }

    private record Candidate(double lr, double l2, SoftmaxTrainer.Weights weights, double threshold, double objective,
                             ClassificationReport report) { }

    private static Candidate score(double lr, double l2, SoftmaxTrainer.Weights w, List<String> labels, String oos,
                                   float[][] xValid, List<String> truth, double[] thresholds, String name) {
        SoftmaxHead plain = new SoftmaxHead(name, labels, w.w(), w.b(), null, 0, null);
        List<Prediction> preds = new ArrayList<>(xValid.length);
        for (float[] x : xValid) preds.add(plain.apply(x));
        Candidate best = null;
        for (double t : oos == null ? new double[] {0} : thresholds) {
            SoftmaxHead h = new SoftmaxHead(name, labels, w.w(), w.b(), oos, t, null);
            List<String> predicted = preds.stream().map(p -> h.decide(p.probabilities()).label()).toList();
            ClassificationReport r = ClassificationReport.of(truth, predicted, oos);
            double objective = r.accuracy();
            if (best == null || objective > best.objective) best = new Candidate(lr, l2, w, t, objective, r);
        }
        return best;
    }

    private static ObjectNode metadata(Job job, Backbone backbone, int trainRows, int validRows, List<Candidate> all, Candidate best) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode m = header(json, job, backbone, trainRows, validRows);
        ObjectNode grid = SoftmaxTrainer.gridJson(m.putObject("grid"), job.grid().learningRates(), job.grid().l2s(), job.grid().epochs());
        grid.put("oosThresholds", job.grid().oosThresholds().length + " values " + job.grid().oosThresholds()[0] + ".."
                + job.grid().oosThresholds()[job.grid().oosThresholds().length - 1]);
        m.put("objective", OBJECTIVE);
        ObjectNode sel = m.putObject("selected");
        sel.put("learningRate", best.lr);
        sel.put("l2", best.l2);
        sel.put("epochs", best.weights.epochs());
        sel.put("oosThreshold", best.threshold);
        m.set("valid", scores(json, best.report));
        ArrayNode results = m.putArray("results");
        for (Candidate c : all) {
            ObjectNode r = scores(json, c.report);
            r.put("learningRate", c.lr);
            r.put("l2", c.l2);
            r.put("epochs", c.weights.epochs());
            r.put("oosThreshold", c.threshold);
            results.add(r);
        }
        return m;
    }

    /** What every intent head's metadata starts with: task, trainer, backbone, seed and the data files' hashes. */
    private static ObjectNode header(ObjectMapper json, Job job, Backbone backbone, int trainRows, int validRows) {
        ObjectNode m = json.createObjectNode();
        m.put("task", "intent");
        m.put("trainer", job.mlp() == null ? "softmax regression, mini-batch Adam (batch " + SoftmaxTrainer.BATCH_SIZE + "), standardised features"
                : "mlp: one hidden layer, mini-batch AdamW (batch " + MlpTrainer.BATCH_SIZE + "), dropout, label smoothing, standardised "
                + "features, seeds averaged");
        m.put("backbone", backbone.id());
        m.put("maxLength", backbone.tokenizer().maxLength());
        m.put("seed", job.seed());
        ObjectNode data = m.putObject("data");
        data.set("train", fileInfo(json, job.trainFile(), trainRows));
        data.set("valid", fileInfo(json, job.validFile(), validRows));
        return m;
    }

    /** Metadata of a head selected by cross-validation ({@code cv}: folds, per-grid-point and out-of-scope results). */
    static ObjectNode cvMetadata(Job job, Backbone backbone, int trainRows, int validRows, ObjectNode cv) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode m = header(json, job, backbone, trainRows, validRows);
        if (job.mlp() == null) {
            SoftmaxTrainer.gridJson(m.putObject("grid"), job.grid().learningRates(), job.grid().l2s(), job.grid().epochs());
        } else {
            ObjectNode grid = m.putObject("grid");
            ArrayNode recipes = grid.putArray("mlp");
            for (MlpTrainer.Params p : job.mlp().recipes()) p.put(recipes.addObject());
            ArrayNode eps = grid.putArray("epochs");
            for (int e : job.mlp().epochs()) eps.add(e);
        }
        m.put("objective", CV_OBJECTIVE);
        m.set("cv", cv);
        return m;
    }

    /**
     * The fold (0 .. k-1) of each of {@code n} pooled rows (train rows first, then valid) that {@code train --cv k} uses
     * with seed {@code seed}; {@code finetune --cv} uses the same so both are scored on the same held-out rows.
     */
    public static int[] cvFolds(int n, int k, long seed) {
        return IntentCrossValidation.folds(n, k, seed);
    }

    /** Scales of a lexical layer's logits that {@code --lexical} selects from by cross-validation (0: no lexical layer). */
    public static double[] lexicalScales() {
        return IntentCrossValidation.LEXICAL_SCALES.clone();
    }

    /** Training metadata for one data file: its name (not its machine path), SHA-256 and row count. */
    public static ObjectNode fileInfo(ObjectMapper json, Path file, int rows) {
        ObjectNode f = json.createObjectNode();
        f.put("file", file.getFileName().toString());
        f.put("sha256", ModelArchive.sha256(file));
        f.put("rows", rows);
        return f;
    }

    /**
     * A matrix as base64 of its values as little-endian float32, row-major (how held-out logits are written for analysis:
     * {@code numpy.frombuffer(base64.b64decode(s), '<f4').reshape(rows, -1)}).
     */
    public static String base64Float32(double[][] m) {
        int n = m.length, k = n == 0 ? 0 : m[0].length;
        ByteBuffer b = ByteBuffer.allocate(n * k * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (double[] row : m) for (double v : row) b.putFloat((float) v);
        return Base64.getEncoder().encodeToString(b.array());
    }

    /** {@link #base64Float32(double[][])} of a float matrix. */
    public static String base64Float32(float[][] m) {
        int n = m.length, k = n == 0 ? 0 : m[0].length;
        ByteBuffer b = ByteBuffer.allocate(n * k * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] row : m) for (float v : row) b.putFloat(v);
        return Base64.getEncoder().encodeToString(b.array());
    }

    /** Report scores rounded to 4 places (metadata for people, not for computation). */
    public static ObjectNode scores(ObjectMapper json, ClassificationReport r) {
        ObjectNode o = json.createObjectNode();
        Map<String, Double> s = new TreeMap<>();
        s.put("accuracy", r.accuracy());
        s.put("macro_f1", r.macroF1());
        s.put("in_scope_accuracy", r.inScopeAccuracy());
        s.put("oos_recall", r.oosRecall());
        s.forEach((k, v) -> {
            if (!Double.isNaN(v)) o.put(k, Math.round(v * 10000) / 10000.0);
        });
        o.put("n", r.n());
        return o;
    }
}
