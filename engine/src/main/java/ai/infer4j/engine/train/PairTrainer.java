package ai.infer4j.engine.train;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.data.LabeledPair;
import ai.infer4j.engine.eval.PairReport;
import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.task.CandidateFeatures;
import ai.infer4j.engine.task.PairFeatures;
import ai.infer4j.engine.task.PairHead;
import ai.infer4j.engine.task.PairTrees;
import ai.infer4j.engine.task.RecordFormat;
import ai.infer4j.engine.task.TokenIdf;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains a bi-encoder pair head on a frozen backbone: logistic regression on {@link PairFeatures}
 * (embeddings of both records plus lexical features), a deterministic grid search over learning
 * rate x L2 x epochs, and the decision threshold with the best F1 on the valid split. The same data,
 * backbone and seed give the same head.
 */
public final class PairTrainer {
    /** The search grid. */
    public record Grid(double[] learningRates, double[] l2s, int[] epochs) {
        public static Grid defaults() {
            return new Grid(new double[] {1e-3, 3e-3, 1e-2}, new double[] {1e-3, 1e-2, 3e-2, 1e-1}, new int[] {5, 10, 20, 40});
        }
    }

    /** What to train: one or more train and valid files (combined), and how records become text. */
    public record Job(String headName, List<Path> trainFiles, List<Path> validFiles, RecordFormat format, long seed, Grid grid,
                      int threads, TreeBooster.Params trees, boolean treesReadLinear, boolean candidates, double blend,
                      boolean conflicts, boolean idfPerSet) {
        public Job {
            trainFiles = List.copyOf(trainFiles);
            validFiles = List.copyOf(validFiles);
            if (trainFiles.isEmpty() || validFiles.isEmpty()) throw new BadInputException("pair training needs train and valid files");
            if (candidates && (trees == null || treesReadLinear))
                throw new BadInputException("candidate-feature trees need tree parameters and do not read the linear log-odds");
            if (!(blend >= 0 && blend < 1)) throw new BadInputException("--blend-idf must be in [0, 1), got " + blend);
            if ((conflicts || idfPerSet) && !candidates)
                throw new BadInputException("--conflicts and --idf-per-set change candidate-feature trees: add --candidates");
            if (blend > 0 && trees == null)
                throw new BadInputException("--blend-idf mixes " + PairHead.BLEND_FEATURE + " into the trees' probability: train trees"
                        + " (--trees, --trees-linear or --candidates)");
        }

        /** Candidate trees without the conflict features, IDF from one table (every head before session 8). */
        public Job(String headName, List<Path> trainFiles, List<Path> validFiles, RecordFormat format, long seed, Grid grid,
                   int threads, TreeBooster.Params trees, boolean treesReadLinear, boolean candidates, double blend) {
            this(headName, trainFiles, validFiles, format, seed, grid, threads, trees, treesReadLinear, candidates, blend, false, false);
        }

        /** Without a blend of {@link PairHead#BLEND_FEATURE} (every head before session 6). */
        public Job(String headName, List<Path> trainFiles, List<Path> validFiles, RecordFormat format, long seed, Grid grid,
                   int threads, TreeBooster.Params trees, boolean treesReadLinear, boolean candidates) {
            this(headName, trainFiles, validFiles, format, seed, grid, threads, trees, treesReadLinear, candidates, 0);
        }

        /** Trees on the similarity and IDF features, with the linear log-odds when {@code treesReadLinear}. */
        public Job(String headName, List<Path> trainFiles, List<Path> validFiles, RecordFormat format, long seed, Grid grid, int threads,
                   TreeBooster.Params trees, boolean treesReadLinear) {
            this(headName, trainFiles, validFiles, format, seed, grid, threads, trees, treesReadLinear, false);
        }

        /** A linear head (no trees). */
        public Job(String headName, List<Path> trainFiles, List<Path> validFiles, RecordFormat format, long seed, Grid grid, int threads) {
            this(headName, trainFiles, validFiles, format, seed, grid, threads, null, false, false);
        }

        /** Trees on the similarity and IDF features (no linear log-odds), or a linear head when {@code trees} is null. */
        public Job(String headName, List<Path> trainFiles, List<Path> validFiles, RecordFormat format, long seed, Grid grid, int threads,
                   TreeBooster.Params trees) {
            this(headName, trainFiles, validFiles, format, seed, grid, threads, trees, false, false);
        }
    }

    /** Trees of a candidate-feature head: fewer and shallower than the defaults (they transfer better between catalogues). */
    public static final TreeBooster.Params CANDIDATE_TREES = new TreeBooster.Params(100, 2, 0.1, 1.0, 1.0, 32, 0.8);

    /** The one grid point of a candidate-feature head's linear part (stored, not read by its trees). */
    public static final Grid CANDIDATE_GRID = new Grid(new double[] {1e-3}, new double[] {3e-2}, new int[] {20});

    /** Folds of the out-of-fold linear scores the trees are trained on. */
    static final int STACK_FOLDS = 5;

    /** Selection objective, recorded in the head's metadata. */
    public static final String OBJECTIVE =
            "max over grid x threshold (0.01..0.99) of duplicate-class F1 on valid; ties: first in grid order, then lowest threshold";

    private PairTrainer() {
    }

    public static PairHead train(Job job, Backbone backbone, EmbeddingCache cache, Progress progress) {
        List<LabeledPair> train = read(job.trainFiles());
        List<LabeledPair> valid = read(job.validFiles());
        for (var set : List.of(train, valid))
            if (set.stream().mapToInt(LabeledPair::label).distinct().count() < 2)
                throw new BadInputException("pair training needs both duplicates (1) and non-duplicates (0) in train and valid");
        Rows rTrain = features(job.format(), train, backbone, cache, "embed train", progress);
        Rows rValid = features(job.format(), valid, backbone, cache, "embed valid", progress);
        float[][] xTrain = rTrain.x(), xValid = rValid.x();
        int[] y = train.stream().mapToInt(LabeledPair::label).toArray();
        int[] yValid = valid.stream().mapToInt(LabeledPair::label).toArray();

        Grid g = job.grid();
        List<Candidate> candidates = new ArrayList<>();
        for (SoftmaxTrainer.GridPoint p : SoftmaxTrainer.gridSearch(xTrain, y, 2, g.learningRates(), g.l2s(), g.epochs(),
                job.seed(), job.threads(), progress))
            candidates.add(score(p.learningRate(), p.l2(), p.weights(), xValid, yValid));
        Candidate best = candidates.get(0);
        for (Candidate c : candidates) if (c.report.bestF1() > best.report.bestF1()) best = c;
        ObjectNode meta = metadata(job, backbone, train.size(), valid.size(), candidates, best);
        if (job.trees() == null)
            return new PairHead(job.headName(), job.format(), backbone.signature().width(), best.w, best.b,
                    best.report.bestThreshold(), meta);
        List<Map<String, String>> records = new ArrayList<>();
        for (var set : List.of(train, valid))
            for (LabeledPair p : set) {
                records.add(p.pair().left());
                records.add(p.pair().right());
            }
        TokenIdf idf = TokenIdf.of(records);
        if (job.candidates())
            return withCandidates(job, best, train, rTrain.withIdf(train, idf), y, valid, rValid.withIdf(valid, idf), yValid, meta,
                    backbone.signature().width(), idf);
        return withTrees(job, best, rTrain.withIdf(train, idf), y, rValid.withIdf(valid, idf), yValid, meta, progress,
                backbone.signature().width(), idf);
    }

    /**
     * Trees on the similarity features and the IDF-weighted overlaps ({@link PairHead#IDF_TREE_FEATURES}), with the IDF of
     * the train+valid records; with {@link Job#treesReadLinear} also the linear log-odds, on train from models that did not
     * see the row ({@value #STACK_FOLDS} folds). The threshold is the best F1 on valid.
     */
    private static PairHead withTrees(Job job, Candidate best, Rows train, int[] y, Rows valid, int[] yValid, ObjectNode meta,
                                      Progress progress, int width, TokenIdf idf) {
        int n = y.length;
        List<String> names = new ArrayList<>(PairHead.IDF_TREE_FEATURES);
        if (job.treesReadLinear()) names.add(PairHead.LINEAR_LOGIT);
        double[] oof = job.treesReadLinear() ? outOfFold(job, best, train, y, progress) : new double[n];
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++)
            rows[i] = PairHead.select(PairHead.treeValues(train.x()[i], train.lexical()[i], train.idf()[i], oof[i]), names);
        PairTrees trees = TreeBooster.fit(rows, y, names, job.trees(), job.seed());
        double[] s = new double[yValid.length];
        for (int i = 0; i < s.length; i++) {
            double z = job.treesReadLinear() ? logit(best.w, best.b, valid.x()[i]) : 0;
            s[i] = trees.probability(PairHead.select(PairHead.treeValues(valid.x()[i], valid.lexical()[i], valid.idf()[i], z), names));
            if (job.blend() > 0) s[i] = PairHead.blend(s[i], valid.idf()[i], job.blend());
        }
        String trainer = "gradient-boosted trees (logistic loss) on " + names.size() + " features: similarity features"
                + " and IDF-weighted token overlap (IDF over the " + idf.records() + " distinct train+valid records)"
                + (job.treesReadLinear() ? " + linear log-odds (out-of-fold on train, " + STACK_FOLDS + " folds)" : "");
        return treesHead(job, best, trees, s, yValid, meta, width, idf, trainer, null,
                OBJECTIVE + "; then trees on the selected point, threshold with the best valid F1");
    }

    /**
     * The head with {@code trees} and the threshold with the best F1 of their valid scores {@code s}; records the trees'
     * settings ({@code candidateSets}: how candidate sets were formed, or null), keeps the linear part's valid scores as
     * {@code linearValid} and puts the trees' valid scores in their place.
     */
    private static PairHead treesHead(Job job, Candidate best, PairTrees trees, double[] s, int[] yValid, ObjectNode meta, int width,
                                      TokenIdf idf, String trainer, String candidateSets, String objective) {
        PairReport r = PairReport.of(s, yValid, 0.5);
        r = PairReport.of(s, yValid, r.bestThreshold());
        ObjectNode t = meta.putObject("trees");
        TreeBooster.Params p = job.trees();
        t.put("trainer", trainer);
        t.put("trees", p.trees()).put("depth", p.depth()).put("rate", p.rate()).put("lambda", p.lambda())
                .put("minHessian", p.minHessian()).put("bins", p.bins()).put("subsample", p.subsample());
        if (candidateSets != null) t.put("candidateSets", candidateSets);
        if (job.blend() > 0)
            t.put("blend", "probability = " + (1 - job.blend()) + " x trees + " + job.blend() + " x " + PairHead.BLEND_FEATURE
                    + "; the threshold is chosen on that");
        meta.set("linearValid", meta.get("valid"));
        meta.set("valid", scores(new ObjectMapper(), r));
        ((ObjectNode) meta.get("selected")).put("threshold", r.threshold());
        meta.put("objective", objective);
        return new PairHead(job.headName(), job.format(), width, best.w, best.b, r.threshold(), meta, trees, idf, job.blend());
    }

    /**
     * Trees on the IDF-weighted overlaps and their {@link CandidateFeatures} ({@link PairHead#CANDIDATE_TREE_FEATURES}; with
     * {@link Job#conflicts} also {@link PairHead#CONFLICT_FEATURES}). Valid is one candidate set (the threshold is chosen on
     * it as {@code eval} scores a file). Train is cut at random (seeded) into {@code round(train / valid)} parts, each its own
     * candidate set, so that a record has about as many competitors in training as in a valid-sized file. With
     * {@link Job#idfPerSet} the IDF features of each candidate set are counted over that set's own records (each train part,
     * the valid file), as a portable branch counts them over the records of the call it scores; else over train + valid.
     */
    private static PairHead withCandidates(Job job, Candidate best, List<LabeledPair> trainPairs, Rows train, int[] y,
                                           List<LabeledPair> validPairs, Rows valid, int[] yValid, ObjectNode meta, int width, TokenIdf idf) {
        List<String> names = job.conflicts() ? PairHead.CANDIDATE_CONFLICT_TREE_FEATURES : PairHead.CANDIDATE_TREE_FEATURES;
        int parts = (int) Math.max(1, Math.round((double) y.length / yValid.length));
        int[] part = new int[y.length];
        SplittableRandom rnd = new SplittableRandom(job.seed());
        for (int i = 0; i < part.length; i++) part[i] = parts == 1 ? 0 : rnd.nextInt(parts);
        if (job.idfPerSet()) {
            train = perSetIdf(trainPairs, train, part, parts);
            valid = perSetIdf(validPairs, valid, new int[yValid.length], 1);
        }
        float[][] rows = candidateRows(trainPairs, train, part, names);
        PairTrees trees = TreeBooster.fit(rows, y, names, job.trees(), job.seed());
        float[][] validRows = candidateRows(validPairs, valid, null, names);
        double[] s = new double[yValid.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = trees.probability(validRows[i]);
            if (job.blend() > 0) s[i] = PairHead.blend(s[i], valid.idf()[i], job.blend());
        }
        String trainer = "gradient-boosted trees (logistic loss) on " + names.size() + " features: IDF-weighted token overlap (IDF over"
                + (job.idfPerSet() ? " each candidate set's own records" : " the " + idf.records() + " distinct train+valid records")
                + ") and candidate features of " + CandidateFeatures.SOURCES
                + " (gap to the best other candidate of the same left/right record, rank, mutual best)"
                + (job.conflicts() ? " + " + PairHead.CONFLICT_FEATURES : "");
        return treesHead(job, best, trees, s, yValid, meta, width, idf, trainer,
                "valid: each file's pairs together (as eval scores a file); train: " + parts + " random parts (seeded), about the size of valid"
                        + (job.idfPerSet() ? "; IDF features counted over each set's records" : ""),
                OBJECTIVE + "; then candidate-feature trees, threshold with the best valid F1 (valid scored as one candidate set)");
    }

    /** {@code r} with the IDF features of each pair counted over the records of its set ({@code set[i]} in 0..sets-1). */
    private static Rows perSetIdf(List<LabeledPair> pairs, Rows r, int[] set, int sets) {
        List<List<Map<String, String>>> records = new ArrayList<>();
        for (int k = 0; k < sets; k++) records.add(new ArrayList<>());
        for (int i = 0; i < pairs.size(); i++) {
            records.get(set[i]).add(pairs.get(i).pair().left());
            records.get(set[i]).add(pairs.get(i).pair().right());
        }
        TokenIdf[] tables = new TokenIdf[sets];
        for (int k = 0; k < sets; k++) tables[k] = TokenIdf.of(records.get(k));
        float[][] v = new float[pairs.size()][];
        for (int i = 0; i < v.length; i++) v[i] = PairFeatures.idf(pairs.get(i).pair().left(), pairs.get(i).pair().right(), tables[set[i]]);
        return new Rows(r.x(), r.lexical(), v);
    }

    private static float[][] candidateRows(List<LabeledPair> pairs, Rows r, int[] group, List<String> names) {
        int n = pairs.size();
        double[][] sims = new double[n][];
        for (int i = 0; i < n; i++) sims[i] = CandidateFeatures.sources(r.idf()[i]);
        float[][] c = CandidateFeatures.of(pairs.stream().map(p -> p.pair().left()).toList(), pairs.stream().map(p -> p.pair().right()).toList(),
                sims, group);
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) rows[i] = PairHead.select(PairHead.treeValues(r.x()[i], r.lexical()[i], r.idf()[i], 0, c[i]), names);
        return rows;
    }

    /** Log-odds of the selected linear point for each train row from a model that did not see it ({@value #STACK_FOLDS} folds). */
    private static double[] outOfFold(Job job, Candidate best, Rows train, int[] y, Progress progress) {
        int n = y.length;
        int[] fold = IntentCrossValidation.folds(n, STACK_FOLDS, job.seed());
        double[] oof = new double[n];
        for (int f = 0; f < STACK_FOLDS; f++) {
            List<Integer> fit = new ArrayList<>();
            for (int i = 0; i < n; i++) if (fold[i] != f) fit.add(i);
            float[][] xf = new float[fit.size()][];
            int[] yf = new int[fit.size()];
            for (int j = 0; j < xf.length; j++) {
                xf[j] = train.x()[fit.get(j)];
                yf[j] = y[fit.get(j)];
            }
            int done = f + 1;
            SoftmaxTrainer.Weights sw = SoftmaxTrainer.train(xf, yf, 2, best.lr, best.l2, new int[] {best.epochs}, job.seed(),
                    () -> { }).get(0);
            progress.update("stacking folds", done, STACK_FOLDS);
            float[] w = logistic(sw);
            float b = sw.b()[1] - sw.b()[0];
            for (int i = 0; i < n; i++) if (fold[i] == f) oof[i] = logit(w, b, train.x()[i]);
        }
        return oof;
    }

    private static float[] logistic(SoftmaxTrainer.Weights sw) {
        int dim = sw.w()[0].length;
        float[] w = new float[dim];
        for (int d = 0; d < dim; d++) w[d] = sw.w()[1][d] - sw.w()[0][d];
        return w;
    }

    private static double logit(float[] w, float b, float[] x) {
        double z = b;
        for (int d = 0; d < w.length; d++) z += w[d] * x[d];
        return z;
    }

    private static List<LabeledPair> read(List<Path> files) {
        List<LabeledPair> all = new ArrayList<>();
        for (Path f : files) all.addAll(DataFiles.readPairs(f));
        return all;
    }

    /** Feature rows, the full lexical features (incl. {@link PairFeatures#EXTRA}) and the IDF features (or null) of each pair. */
    record Rows(float[][] x, float[][] lexical, float[][] idf) {
        Rows withIdf(List<LabeledPair> data, TokenIdf table) {
            float[][] v = new float[data.size()][];
            for (int i = 0; i < v.length; i++) v[i] = PairFeatures.idf(data.get(i).pair().left(), data.get(i).pair().right(), table);
            return new Rows(x, lexical, v);
        }
    }

    /** Feature rows of {@code data}: each distinct record text is embedded once (and cached on disk). */
    static Rows features(RecordFormat format, List<LabeledPair> data, Backbone backbone, EmbeddingCache cache,
                              String stage, Progress progress) {
        Map<String, Integer> index = new LinkedHashMap<>();
        int[][] sides = new int[data.size()][2];
        for (int i = 0; i < data.size(); i++) {
            var p = data.get(i).pair();
            try {
                sides[i][0] = index.computeIfAbsent(format.render(p.left(), "left"), k -> index.size());
                sides[i][1] = index.computeIfAbsent(format.render(p.right(), "right"), k -> index.size());
            } catch (BadInputException e) {
                throw e.withPrefix("pair " + (i + 1) + ": ");
            }
        }
        float[][] v = cache.embed(backbone, new ArrayList<>(index.keySet()), format.maxTokensPerSide(), stage, progress);
        float[][] x = new float[data.size()][], lexical = new float[data.size()][];
        for (int i = 0; i < data.size(); i++) {
            var p = data.get(i).pair();
            lexical[i] = PairFeatures.lexical(p.left(), p.right());
            x[i] = PairFeatures.combine(v[sides[i][0]], v[sides[i][1]], lexical[i]);
        }
        return new Rows(x, lexical, null);
    }

    private record Candidate(double lr, double l2, int epochs, float[] w, float b, PairReport report) { }

    /** Folds the two-class softmax into one logistic weight vector: p(1) = sigmoid((w1-w0).x + b1-b0). */
    private static Candidate score(double lr, double l2, SoftmaxTrainer.Weights sw, float[][] xValid, int[] yValid) {
        int dim = sw.w()[0].length;
        float[] w = new float[dim];
        for (int d = 0; d < dim; d++) w[d] = sw.w()[1][d] - sw.w()[0][d];
        float b = sw.b()[1] - sw.b()[0];
        double[] s = new double[xValid.length];
        for (int i = 0; i < s.length; i++) {
            double z = b;
            for (int d = 0; d < dim; d++) z += w[d] * xValid[i][d];
            s[i] = 1 / (1 + Math.exp(-z));
        }
        PairReport r = PairReport.of(s, yValid, 0.5);
        return new Candidate(lr, l2, sw.epochs(), w, b, PairReport.of(s, yValid, r.bestThreshold()));
    }

    private static ObjectNode metadata(Job job, Backbone backbone, int trainRows, int validRows, List<Candidate> all, Candidate best) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode m = json.createObjectNode();
        m.put("task", "pair");
        m.put("trainer", "logistic regression (2-class softmax folded), mini-batch Adam (batch " + SoftmaxTrainer.BATCH_SIZE
                + "), standardised features");
        m.put("backbone", backbone.id());
        m.put("maxTokensPerSide", job.format().maxTokensPerSide());
        m.put("seed", job.seed());
        ObjectNode data = m.putObject("data");
        ArrayNode tf = data.putArray("train");
        for (Path f : job.trainFiles()) tf.add(fileInfo(json, f));
        ArrayNode vf = data.putArray("valid");
        for (Path f : job.validFiles()) vf.add(fileInfo(json, f));
        data.put("trainRows", trainRows);
        data.put("validRows", validRows);
        SoftmaxTrainer.gridJson(m.putObject("grid"), job.grid().learningRates(), job.grid().l2s(), job.grid().epochs());
        m.put("objective", OBJECTIVE);
        ObjectNode sel = m.putObject("selected");
        sel.put("learningRate", best.lr);
        sel.put("l2", best.l2);
        sel.put("epochs", best.epochs);
        sel.put("threshold", best.report.threshold());
        m.set("valid", scores(json, best.report));
        ArrayNode results = m.putArray("results");
        for (Candidate c : all) {
            ObjectNode r = scores(json, c.report);
            r.put("learningRate", c.lr);
            r.put("l2", c.l2);
            r.put("epochs", c.epochs);
            r.put("threshold", c.report.threshold());
            results.add(r);
        }
        return m;
    }

    private static ObjectNode fileInfo(ObjectMapper json, Path file) {
        ObjectNode f = json.createObjectNode();
        Path parent = file.toAbsolutePath().getParent();
        f.put("file", (parent == null || parent.getFileName() == null ? "" : parent.getFileName() + "/") + file.getFileName());
        f.put("sha256", ModelArchive.sha256(file));
        return f;
    }

    private static ObjectNode scores(ObjectMapper json, PairReport r) {
        ObjectNode o = json.createObjectNode();
        o.put("f1", round(r.f1()));
        o.put("precision", round(r.precision()));
        o.put("recall", round(r.recall()));
        o.put("average_precision", round(r.averagePrecision()));
        return o;
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
