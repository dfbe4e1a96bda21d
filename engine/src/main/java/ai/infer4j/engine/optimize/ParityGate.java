package ai.infer4j.engine.optimize;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.PairBatch;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.eval.ClassificationReport;
import ai.infer4j.engine.task.Classifier;
import ai.infer4j.engine.task.PairTask;
import ai.infer4j.engine.data.LabeledPair;
import ai.infer4j.engine.data.LabeledText;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Compares a variant with its FP32 model on labelled data and decides whether the variant may be used:
 * classifiers must give the same top-1 answer on at least {@code minTop1Agreement} of the inputs and
 * lose at most {@code maxMetricDropPoints} of accuracy; pair models must take the same duplicate decision
 * (at the head's stored threshold) on at least {@code minTop1Agreement} of the pairs and lose at most
 * {@code maxMetricDropPoints} of duplicate-class F1; embedding models must keep the 1st-percentile
 * cosine of their vectors at or above {@code minCosineP1}. Heads trained on FP32 embeddings are
 * re-checked here as they are: on the variant's embeddings.
 *
 * <p>The metric drop is measured on one sample, and near a decision threshold every flipped answer moves it
 * (one of 427 duplicates is ~0.2 points of F1). With {@code dropConfidence} > 0 (the default 0.95) a drop is
 * refused only when a paired bootstrap of the two models' answers on the same examples says it exceeds
 * {@code maxMetricDropPoints} with that confidence ({@link PairedBootstrap}); the agreement bound stays exact,
 * so a variant still cannot change more than 1% of the answers.
 *
 * <p>One gate serves several variants of one model: the FP32 outputs are computed on the first
 * {@link #check} and kept. Not thread-safe.
 */
public final class ParityGate {
    /** Sequences per forward pass while comparing. */
    static final int BATCH = 64;

    private final Model baseline;
    private final List<LabeledText> texts;
    private final List<LabeledPair> pairs;
    private final String oosLabel;
    private final ParityReport.Thresholds thresholds;
    private float[][] baseVectors;                // texts: FP32 backbone outputs
    private Map<String, float[]> baseRecords;     // pairs (bi-encoder): FP32 embedding of each record text
    private List<PairBatch.Result> baseScores;    // pairs: FP32 answers

    private ParityGate(Model baseline, List<LabeledText> texts, List<LabeledPair> pairs, String oosLabel, ParityReport.Thresholds t) {
        this.baseline = Objects.requireNonNull(baseline, "baseline");
        this.texts = texts;
        this.pairs = pairs;
        this.oosLabel = oosLabel;
        this.thresholds = Objects.requireNonNull(t, "thresholds");
        if ((texts == null ? pairs : texts).isEmpty()) throw new BadInputException("the evaluation set is empty");
    }

    /** A gate for a classifier or embedding model on labelled texts. */
    public static ParityGate forTexts(Model baseline, List<LabeledText> data, String oosLabel, ParityReport.Thresholds t) {
        if (baseline.task() instanceof PairTask)
            throw new BadInputException("'" + baseline.name() + "' is a pair model: its parity gate needs pair data ({\"left\", \"right\", \"label\"})");
        return new ParityGate(baseline, List.copyOf(data), null, oosLabel, t);
    }

    /** A gate for a pair model (bi-encoder or cross-encoder) on labelled pairs. */
    public static ParityGate forPairs(Model baseline, List<LabeledPair> data, ParityReport.Thresholds t) {
        if (!(baseline.task() instanceof PairTask))
            throw new BadInputException("'" + baseline.name() + "' is a " + baseline.task().kind() + " model, not a pair model");
        return new ParityGate(baseline, null, List.copyOf(data), null, t);
    }

    public static ParityReport check(Model baseline, Model variant, List<LabeledText> data, String oosLabel,
                                     ParityReport.Thresholds t, Progress progress) {
        return forTexts(baseline, data, oosLabel, t).check(variant, progress);
    }

    /** Runs {@code variant} over the data and compares it with the FP32 model. */
    public ParityReport check(Model variant, Progress progress) {
        if (!baseline.task().kind().equals(variant.task().kind()))
            throw new BadInputException("cannot compare a " + baseline.task().kind() + " model with a " + variant.task().kind() + " model");
        return pairs != null ? checkPairs(variant, progress) : checkTexts(variant, progress);
    }

    private ParityReport checkTexts(Model variant, Progress progress) {
        List<TextInput> inputs = texts.stream().map(d -> TextInput.of(d.text())).toList();
        if (baseVectors == null)
            baseVectors = baseline.backbone().forwardAll(baseline.tokenize(inputs), BATCH,
                    done -> progress.update("run fp32", done, texts.size()));
        float[][] a = baseVectors;
        float[][] b = variant.backbone().forwardAll(variant.tokenize(inputs), BATCH,
                done -> progress.update("run variant", done, texts.size()));
        double[] cos = new double[a.length];
        for (int i = 0; i < cos.length; i++) cos[i] = cosine(a[i], b[i]);
        double[] c = cosineStats(cos);

        List<String> failures = new ArrayList<>();
        ParityReport.Thresholds t = thresholds;
        if (!(baseline.task() instanceof Classifier)) {
            if (c[1] < t.minCosineP1())
                failures.add(String.format(Locale.ROOT, "embedding cosine p1 %.4f is below %.4f", c[1], t.minCosineP1()));
            return new ParityReport(a.length, null, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, c[0], c[1],
                    c[2], Double.NaN, Double.NaN, t, failures);
        }
        List<String> pa = new ArrayList<>(a.length), pb = new ArrayList<>(b.length);
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            String text = texts.get(i).text(); // read by a head with a lexical layer
            pa.add(baseline.predict(a[i], text).label());
            pb.add(variant.predict(b[i], text).label());
            if (pa.get(i).equals(pb.get(i))) same++;
        }
        double agreement = (double) same / a.length;
        if (agreement < t.minTop1Agreement())
            failures.add(String.format(Locale.ROOT, "top-1 agreement %.4f is below %.4f", agreement, t.minTop1Agreement()));

        List<String> truth = texts.stream().map(LabeledText::label).toList();
        boolean labelled = truth.stream().allMatch(l -> l != null && baseline.labels().contains(l));
        if (!labelled)
            return new ParityReport(a.length, null, Double.NaN, Double.NaN, Double.NaN, Double.NaN, agreement, c[0], c[1],
                    c[2], Double.NaN, Double.NaN, t, failures);
        String oos = oosLabel != null && baseline.labels().contains(oosLabel) ? oosLabel : null;
        ClassificationReport ra = ClassificationReport.of(truth, pa, oos), rb = ClassificationReport.of(truth, pb, oos);
        boolean[] okA = new boolean[a.length], okB = new boolean[a.length];
        for (int i = 0; i < a.length; i++) {
            okA[i] = pa.get(i).equals(truth.get(i));
            okB[i] = pb.get(i).equals(truth.get(i));
        }
        double[] band = t.dropConfidence() == 0 ? new double[] {Double.NaN, Double.NaN}
                : PairedBootstrap.accuracyDrop(okA, okB, t.dropConfidence());
        dropFailure("accuracy", ra.accuracy(), rb.accuracy(), band, t).ifPresent(failures::add);
        return new ParityReport(a.length, "accuracy", ra.accuracy(), rb.accuracy(), ra.macroF1(), rb.macroF1(), agreement,
                c[0], c[1], c[2], band[0], band[1], t, failures);
    }

    /**
     * Pairs: the duplicate decision at the model's own threshold must agree, and the duplicate-class F1 at that threshold
     * must not drop. Pairs either model cannot score (an empty record) are left out of both. Cosines compare the
     * record embeddings of a bi-encoder (each distinct record once); a cross-encoder has none (NaN).
     */
    private ParityReport checkPairs(Model variant, Progress progress) {
        List<PairInput> inputs = pairs.stream().map(LabeledPair::pair).toList();
        if (baseScores == null) {
            progress.update("run fp32", 0, pairs.size());
            baseRecords = new HashMap<>();
            baseScores = PairBatch.score(baseline, inputs, baseRecords, BATCH);
            progress.update("run fp32", pairs.size(), pairs.size());
        }
        progress.update("run variant", 0, pairs.size());
        Map<String, float[]> records = new HashMap<>();
        List<PairBatch.Result> scores = PairBatch.score(variant, inputs, records, BATCH);
        progress.update("run variant", pairs.size(), pairs.size());

        List<Boolean> da = new ArrayList<>(), db = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            PairBatch.Result ra = baseScores.get(i), rb = scores.get(i);
            if (ra.score() == null || rb.score() == null) continue;
            da.add(ra.score().duplicate());
            db.add(rb.score().duplicate());
            labels.add(pairs.get(i).label());
        }
        if (labels.isEmpty()) throw new BadInputException("none of the " + pairs.size() + " evaluation pairs could be scored");
        int[] y = labels.stream().mapToInt(Integer::intValue).toArray();
        boolean[] a = new boolean[y.length], b = new boolean[y.length];
        for (int i = 0; i < y.length; i++) {
            a[i] = da.get(i);
            b[i] = db.get(i);
        }
        double[] cos = baseRecords.keySet().stream().filter(records::containsKey)
                .mapToDouble(k -> cosine(baseRecords.get(k), records.get(k))).toArray();
        return judgePairs(y, a, b, cos.length == 0 ? new double[] {Double.NaN, Double.NaN, Double.NaN} : cosineStats(cos), thresholds);
    }

    /**
     * The pair gate on duplicate decisions (at each model's own threshold): {@code base} of the FP32 model, {@code variant}
     * of the variant, {@code y} the labels (1 = duplicate); {@code cos} = {mean, p1, min} of the record cosines.
     */
    static ParityReport judgePairs(int[] y, boolean[] base, boolean[] variant, double[] cos, ParityReport.Thresholds t) {
        int same = 0;
        for (int i = 0; i < y.length; i++) if (base[i] == variant[i]) same++;
        double agreement = (double) same / y.length, fa = f1(y, base), fb = f1(y, variant);
        List<String> failures = new ArrayList<>();
        if (agreement < t.minTop1Agreement())
            failures.add(String.format(Locale.ROOT, "duplicate-decision agreement %.4f is below %.4f", agreement, t.minTop1Agreement()));
        double[] band = t.dropConfidence() == 0 ? new double[] {Double.NaN, Double.NaN}
                : PairedBootstrap.f1Drop(y, base, variant, t.dropConfidence());
        dropFailure("F1", fa, fb, band, t).ifPresent(failures::add);
        return new ParityReport(y.length, "f1", fa, fb, Double.NaN, Double.NaN, agreement, cos[0], cos[1], cos[2], band[0], band[1],
                t, failures);
    }

    /**
     * Why a metric drop from {@code a} to {@code b} fails the gate, if it does: without a band when it exceeds the bound;
     * with a band only when the band's lower end does (the drop is larger than allowed with the band's confidence).
     */
    static Optional<String> dropFailure(String metric, double a, double b, double[] band, ParityReport.Thresholds t) {
        double drop = (a - b) * 100, max = t.maxMetricDropPoints();
        if (Double.isNaN(band[0]))
            return drop > max ? Optional.of(String.format(Locale.ROOT, "%s drops by %.2f points (%.4f -> %.4f), more than %.2f",
                    metric, drop, a, b, max)) : Optional.empty();
        return band[0] > max ? Optional.of(String.format(Locale.ROOT,
                "%s drops by %.2f points (%.4f -> %.4f), more than %.2f with %.0f%% confidence (paired bootstrap: at least %.2f)",
                metric, drop, a, b, max, 100 * t.dropConfidence(), band[0])) : Optional.empty();
    }

    /** F1 of the duplicate class. */
    static double f1(int[] y, boolean[] says) {
        int tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < y.length; i++) {
            if (says[i] && y[i] == 1) tp++;
            else if (says[i]) fp++;
            else if (y[i] == 1) fn++;
        }
        return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }

    /** {mean, 1st percentile, min}. */
    private static double[] cosineStats(double[] cos) {
        double mean = Arrays.stream(cos).average().orElse(Double.NaN);
        double[] sorted = cos.clone();
        Arrays.sort(sorted);
        return new double[] {mean, sorted[(int) Math.floor(0.01 * (sorted.length - 1))], sorted[0]};
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? (na == nb ? 1 : 0) : dot / Math.sqrt(na * nb);
    }
}
