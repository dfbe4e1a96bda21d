package ai.infer4j.engine.train;

import ai.infer4j.engine.Progress;
import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.io.AtomicFiles;
import ai.infer4j.engine.task.LexicalLayer;
import ai.infer4j.engine.task.OutOfScopeScore;
import ai.infer4j.engine.task.SoftmaxHead;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * K-fold selection of an intent head on train + valid pooled: every grid point is trained K times, each time scoring the
 * fold it did not see; the grid point with the best mean held-out accuracy is re-trained on all rows. With an out-of-scope
 * label, the head also gets an {@link OutOfScopeScore} whose standardisation and threshold come from the held-out
 * (out-of-fold) scores: the threshold is the lowest that costs at most {@code oosBudget} of in-scope accuracy, so it is set
 * by the in-scope examples (thousands, and like the ones the head will see) rather than by the few out-of-scope ones.
 */
final class IntentCrossValidation {
    /** In-scope rejection rates at which the trade-off curve is reported. */
    private static final double[] CURVE_REJECT_RATES = {0, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2};

    private IntentCrossValidation() {
    }

    /**
     * Held-out predictions of one grid point over all rows. {@code recipe}: the softmax trainer's learning rate, L2 and
     * epochs, or an MLP recipe and its epochs ({@code mlp} set), in the order they are written to the metadata.
     */
    private record PointResult(ObjectNode recipe, MlpTrainer.Params mlp, double lr, double l2, int epochs, double lexicalScale,
                               int[] predicted, double[] energy, double[] foldAccuracy) {
        double mean() {
            return Arrays.stream(foldAccuracy).average().orElse(Double.NaN);
        }
    }

    /** One fitted grid point of one fold. */
    private record Fitted(MlpTrainer.Params mlp, double lr, double l2, int epochs, SoftmaxHead head) {
        ObjectNode recipe() {
            ObjectNode o = new ObjectMapper().createObjectNode();
            if (mlp != null) return mlp.put(o).put("epochs", epochs);
            return o.put("learningRate", lr).put("l2", l2).put("epochs", epochs);
        }
    }

    /** Every grid point of {@code job} fitted on one fold's rows (softmax grid, or MLP recipes x epochs). */
    private static List<Fitted> fitGrid(IntentTrainer.Job job, List<String> labels, float[][] xf, int[] yf, String stage, Progress progress) {
        List<Fitted> out = new ArrayList<>();
        int classes = labels.size();
        if (job.mlp() == null) {
            IntentTrainer.Grid g = job.grid();
            for (SoftmaxTrainer.GridPoint p : SoftmaxTrainer.gridSearch(xf, yf, classes, g.learningRates(), g.l2s(), g.epochs(),
                    job.seed(), job.threads(), (s, d, t) -> progress.update(stage, d, t)))
                out.add(new Fitted(null, p.learningRate(), p.l2(), p.weights().epochs(),
                        new SoftmaxHead("cv", labels, p.weights().w(), p.weights().b(), null, 0, null)));
            return out;
        }
        IntentTrainer.MlpGrid g = job.mlp();
        int last = g.epochs()[g.epochs().length - 1];
        long total = 0;
        for (MlpTrainer.Params p : g.recipes()) total += (long) p.members() * last;
        java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
        long all = total;
        for (MlpTrainer.Params p : g.recipes())
            for (MlpTrainer.Network n : MlpTrainer.train(xf, yf, classes, p, g.epochs(), job.seed(), job.threads(),
                    () -> progress.update(stage, done.incrementAndGet(), all)))
                out.add(new Fitted(p, p.learningRate(), 0, n.epochs(),
                        new SoftmaxHead("cv", labels, n.w(), n.b(), null, 0, null, null, n.hidden())));
        return out;
    }

    /** The file in {@link IntentTrainer.Job#cvDir()} with every row's held-out logits. */
    static final String LOGITS_FILE = "cv-logits.json";

    /** Scales of the lexical logits tried with {@code --lexical} (0: no lexical layer). */
    static final double[] LEXICAL_SCALES = {0, 0.25, 0.5, 1};

    static SoftmaxHead train(IntentTrainer.Job job, List<String> labels, String oos, float[][] x, int[] y, List<String> texts,
                             int trainRows, Backbone backbone, Progress progress) {
        int n = x.length, k = job.cvFolds(), classes = labels.size();
        double[] scales = texts == null ? new double[] {0} : LEXICAL_SCALES;
        int oosIndex = oos == null ? -1 : labels.indexOf(oos);
        int[] fold = folds(n, k, job.seed());
        List<PointResult> points = null;
        double[] distance = new double[n];
        // held-out logits by pooled row, filled fold by fold: each grid point's (only with --cv-dir) and the lexical layer's
        double[][][] heldLogits = null;
        double[][] heldLexical = texts == null ? null : new double[n][];
        for (int f = 0; f < k; f++) {
            List<Integer> fit = new ArrayList<>(), held = new ArrayList<>();
            for (int i = 0; i < n; i++) (fold[i] == f ? held : fit).add(i);
            float[][] xf = new float[fit.size()][];
            int[] yf = new int[fit.size()];
            for (int j = 0; j < xf.length; j++) {
                xf[j] = x[fit.get(j)];
                yf[j] = y[fit.get(j)];
            }
            String stage = "fold " + (f + 1) + "/" + k;
            List<Fitted> grid = fitGrid(job, labels, xf, yf, stage, progress);
            if (texts != null) {
                List<String> tf = new ArrayList<>(fit.size()), th = new ArrayList<>(held.size());
                for (int i : fit) tf.add(texts.get(i));
                for (int i : held) th.add(texts.get(i));
                AtomicInteger ep = new AtomicInteger();
                LexicalTrainer.Fitted l = LexicalTrainer.train(tf, yf, classes, job.seed(), job.lexicalFeatures(),
                        () -> progress.update(stage + " lexical", ep.incrementAndGet(), LexicalTrainer.EPOCHS));
                double[][] z = LexicalTrainer.logits(l, th);
                for (int j = 0; j < held.size(); j++) heldLexical[held.get(j)] = z[j];
            }
            if (job.cvDir() != null && heldLogits == null) heldLogits = new double[grid.size()][n][];
            if (points == null) {
                points = new ArrayList<>();
                for (Fitted p : grid)
                    for (double scale : scales) {
                        ObjectNode recipe = p.recipe();
                        if (texts != null) recipe.put("lexicalScale", scale);
                        points.add(new PointResult(recipe, p.mlp(), p.lr(), p.l2(), p.epochs(), scale, new int[n], new double[n], new double[k]));
                    }
            }
            float[][] centroids = OutOfScopeScore.classCentroids(xf, yf, classes, oosIndex);
            for (int i : held) distance[i] = OutOfScopeScore.distance(centroids, x[i]);
            for (int p = 0; p < grid.size(); p++) {
                SoftmaxHead h = grid.get(p).head();
                double[][] logits = new double[held.size()][]; // the head's held-out logits, once for every scale
                for (int j = 0; j < logits.length; j++) logits[j] = h.logits(x[held.get(j)]);
                if (heldLogits != null) for (int j = 0; j < logits.length; j++) heldLogits[p][held.get(j)] = logits[j];
                for (int si = 0; si < scales.length; si++) {
                    PointResult r = points.get(p * scales.length + si);
                    int correct = 0;
                    for (int j = 0; j < logits.length; j++) {
                        int i = held.get(j);
                        double[] z = logits[j].clone();
                        if (scales[si] > 0) for (int c = 0; c < classes; c++) z[c] += scales[si] * heldLexical[i][c];
                        r.predicted[i] = argmax(z);
                        r.energy[i] = OutOfScopeScore.energy(z, oosIndex);
                        if (r.predicted[i] == y[i]) correct++;
                    }
                    r.foldAccuracy[f] = (double) correct / held.size();
                }
            }
        }
        PointResult best = points.get(0);
        for (PointResult r : points) if (r.mean() > best.mean()) best = r;
        if (heldLogits != null) writeLogits(job.cvDir(), labels, fold, k, points, scales.length, heldLogits, heldLexical);

        AtomicInteger epochs = new AtomicInteger();
        PointResult chosen = best;
        int total = chosen.mlp == null ? chosen.epochs : chosen.epochs * chosen.mlp.members();
        Runnable tick = () -> progress.update("final fit", epochs.incrementAndGet(), total);
        MlpTrainer.Network w = chosen.mlp == null
                ? linear(SoftmaxTrainer.train(x, y, classes, best.lr, best.l2, new int[] {best.epochs}, job.seed(), tick).get(0))
                : MlpTrainer.train(x, y, classes, chosen.mlp, new int[] {chosen.epochs}, job.seed(), job.threads(), tick).get(0);
        LexicalLayer lexical = null;
        if (chosen.lexicalScale > 0) {
            AtomicInteger ep = new AtomicInteger();
            lexical = LexicalTrainer.train(texts, y, classes, job.seed(), job.lexicalFeatures(), () -> progress.update("final fit lexical", ep.incrementAndGet(),
                    LexicalTrainer.EPOCHS)).layer(chosen.lexicalScale);
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode cv = json.createObjectNode();
        cv.put("folds", k);
        cv.put("rows", n);
        if (texts != null) {
            ObjectNode l = cv.putObject("lexical");
            l.put("features", LexicalLayer.FEATURES);
            l.put("maxFeatures", job.lexicalFeatures()).put("featureSelection", "chi-squared of per-class document counts (0: all)")
                    .put("weights", "signed bytes, one step per label");
            l.put("minDf", LexicalTrainer.MIN_DF).put("epochs", LexicalTrainer.EPOCHS).put("learningRate", LexicalTrainer.LEARNING_RATE)
                    .put("batch", LexicalTrainer.BATCH_SIZE).put("labelSmoothing", LexicalTrainer.LABEL_SMOOTHING);
            l.put("rule", "held-out logits = head logits + lexicalScale * lexical logits (softmax regression on the TF-IDF "
                    + "vector, trained on the same folds); lexicalScale selected with the rest of the recipe");
            if (lexical != null) l.put("vocab", lexical.vocab().size());
        }
        ArrayNode results = cv.putArray("results");
        for (PointResult r : points) {
            ObjectNode o = results.addObject();
            o.setAll(r.recipe);
            o.put("accuracy_mean", round(r.mean())).put("accuracy_std", round(std(r.foldAccuracy)));
        }
        OutOfScopeScore oosScore = null;
        if (oosIndex >= 0) {
            oosScore = outOfScope(best, y, fold, k, oosIndex, distance, OutOfScopeScore.classCentroids(x, y, classes, oosIndex), job.oosBudget(),
                    cv.putObject("oos"));
        }
        ObjectNode sel = cv.putObject("selected");
        sel.setAll(best.recipe);
        sel.put("accuracy_mean", round(best.mean())).put("accuracy_std", round(std(best.foldAccuracy)));
        ArrayNode perFold = sel.putArray("accuracy_per_fold");
        for (double a : best.foldAccuracy) perFold.add(round(a));
        ObjectNode meta = IntentTrainer.cvMetadata(job, backbone, trainRows, n - trainRows, cv);
        // the recipe at the usual place, so tools that re-fit a head (monitor's cross-fitted baseline) find it
        ObjectNode recipe = meta.putObject("selected");
        recipe.setAll(best.recipe);
        recipe.put("trainedOn", "train+valid pooled");
        return new SoftmaxHead(job.headName(), labels, w.w(), w.b(), oos, 0, meta, oosScore, w.hidden(), lexical);
    }

    /**
     * Writes {@value #LOGITS_FILE}: labels, each pooled row's fold (train rows first, then valid), and per grid point its
     * recipe, held-out accuracy per lexical scale and every row's held-out logits (from the head the row's fold did not
     * see; without the lexical layer), plus the lexical layer's held-out logits (unscaled) when one was trained.
     */
    private static void writeLogits(Path dir, List<String> labels, int[] fold, int k, List<PointResult> points,
                                    int perPoint, double[][][] logits, double[][] lexical) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode o = json.createObjectNode();
        o.put("folds", k);
        o.put("rows", fold.length);
        o.put("rule", "held-out logits of a grid point + lexicalScale * lexical = what the cross-validation scored; "
                + "arrays are base64 little-endian float32, rows x labels, in the pooled row order (train, then valid)");
        labels.forEach(o.putArray("labels")::add);
        ArrayNode f = o.putArray("fold");
        for (int v : fold) f.add(v);
        ArrayNode ps = o.putArray("points");
        for (int p = 0; p < logits.length; p++) {
            ObjectNode e = ps.addObject();
            PointResult first = points.get(p * perPoint);
            e.setAll(first.recipe.deepCopy());
            e.remove("lexicalScale");
            ArrayNode acc = e.putArray("accuracy_mean_by_lexical_scale");
            for (int s = 0; s < perPoint; s++) acc.add(round(points.get(p * perPoint + s).mean()));
            e.put("logits", IntentTrainer.base64Float32(logits[p]));
        }
        if (lexical != null) o.put("lexical", IntentTrainer.base64Float32(lexical));
        Path file = dir.resolve(LOGITS_FILE);
        try {
            AtomicFiles.write(file, w -> json.writeValue(w, o));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static MlpTrainer.Network linear(SoftmaxTrainer.Weights w) {
        return new MlpTrainer.Network(w.epochs(), null, w.w(), w.b());
    }

    /**
     * Standardises the held-out energy and distance on in-scope rows, then picks the threshold: walking down the blended
     * score, reject as far as in-scope accuracy stays within {@code budget} of its value without rejection.
     */
    private static OutOfScopeScore outOfScope(PointResult r, int[] y, int[] fold, int k, int oosIndex, double[] distance,
                                              float[][] centroids, double budget, ObjectNode out) {
        int n = y.length;
        double[] e = new double[n], d = new double[n];
        int in = 0;
        for (int i = 0; i < n; i++) {
            if (y[i] == oosIndex) continue;
            e[in] = r.energy[i];
            d[in++] = distance[i];
        }
        double eMean = mean(e, in), eStd = Math.max(1e-9, std(e, in, eMean)), dMean = mean(d, in), dStd = Math.max(1e-9, std(d, in, dMean));
        OutOfScopeScore unit = new OutOfScopeScore(centroids, eMean, eStd, dMean, dStd, 0);
        double[] s = new double[n];
        for (int i = 0; i < n; i++) s[i] = unit.combine(r.energy[i], distance[i]);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(s[b], s[a]));
        int inScope = 0, correct0 = 0;
        for (int i = 0; i < n; i++) {
            if (y[i] == oosIndex) continue;
            inScope++;
            if (r.predicted[i] == y[i]) correct0++;
        }
        double floor = (double) correct0 / inScope - budget;
        double threshold = s[order[0]] + 1;
        int correct = correct0;
        for (int j = 0; j < n; ) {
            int end = j;
            int lost = 0;
            while (end < n && s[order[end]] == s[order[j]]) {
                int i = order[end++];
                if (y[i] != oosIndex && r.predicted[i] == y[i]) lost++;
            }
            if ((double) (correct - lost) / inScope < floor) break;
            correct -= lost;
            threshold = end < n ? (s[order[j]] + s[order[end]]) / 2 : s[order[j]];
            j = end;
        }
        OutOfScopeScore score = new OutOfScopeScore(centroids, eMean, eStd, dMean, dStd, threshold);

        out.put("score", OutOfScopeScore.KIND + ": (energy - mean)/std + (-max cos to a class centroid - mean)/std, "
                + "standardised on held-out in-scope rows");
        out.put("rule", "lowest threshold whose held-out in-scope accuracy is at most budget below the accuracy without rejection");
        out.put("budget", budget);
        out.put("threshold", round(threshold));
        out.put("energyMean", eMean).put("energyStd", eStd).put("distanceMean", dMean).put("distanceStd", dStd);
        out.put("in_scope_accuracy_without_rejection", round((double) correct0 / inScope));
        out.set("at_threshold", point(s, threshold, r.predicted, y, oosIndex, null, -1));
        ArrayNode folds = out.putArray("per_fold");
        for (int f = 0; f < k; f++) folds.add(point(s, threshold, r.predicted, y, oosIndex, fold, f));
        ArrayNode curve = out.putArray("curve");
        double[] inScores = new double[inScope];
        int m = 0;
        for (int i = 0; i < n; i++) if (y[i] != oosIndex) inScores[m++] = s[i];
        Arrays.sort(inScores);
        for (double rate : CURVE_REJECT_RATES) {
            int idx = (int) Math.round((1 - rate) * inScope);
            double t = idx >= inScope ? inScores[inScope - 1] + 1 : inScores[idx];
            curve.add(point(s, t, r.predicted, y, oosIndex, null, -1).put("in_scope_rejected", rate));
        }
        return score;
    }

    /** In-scope accuracy, out-of-scope recall and precision at threshold {@code t}, over all rows or one fold. */
    private static ObjectNode point(double[] s, double t, int[] predicted, int[] y, int oosIndex, int[] fold, int f) {
        int inScope = 0, inCorrect = 0, oos = 0, caught = 0, flagged = 0;
        for (int i = 0; i < y.length; i++) {
            if (fold != null && fold[i] != f) continue;
            boolean rejected = predicted[i] == oosIndex || s[i] >= t;
            if (rejected) flagged++;
            if (y[i] == oosIndex) {
                oos++;
                if (rejected) caught++;
            } else {
                inScope++;
                if (!rejected && predicted[i] == y[i]) inCorrect++;
            }
        }
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("threshold", round(t));
        o.put("in_scope_accuracy", round((double) inCorrect / Math.max(1, inScope)));
        o.put("oos_recall", round((double) caught / Math.max(1, oos)));
        o.put("oos_precision", round(flagged == 0 ? 0 : (double) caught / flagged));
        return o;
    }

    /** Fold of each row: a seeded shuffle dealt round-robin, so folds differ in size by at most one. */
    static int[] folds(int n, int k, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        HeadTraining.shuffle(order, rnd);
        int[] fold = new int[n];
        for (int r = 0; r < n; r++) fold[order[r]] = r % k;
        return fold;
    }

    private static int argmax(double[] z) {
        int best = 0;
        for (int c = 1; c < z.length; c++) if (z[c] > z[best]) best = c;
        return best;
    }

    private static double mean(double[] v, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += v[i];
        return s / n;
    }

    private static double std(double[] v, int n, double mean) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (v[i] - mean) * (v[i] - mean);
        return Math.sqrt(s / n);
    }

    private static double std(double[] v) {
        return std(v, v.length, mean(v, v.length));
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
