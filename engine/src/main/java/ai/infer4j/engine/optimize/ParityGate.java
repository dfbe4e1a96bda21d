package ai.infer4j.engine.optimize;

import ai.infer4j.engine.task.Classifier;
import ai.infer4j.engine.BadInputException;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.TextInput;
import ai.infer4j.engine.eval.ClassificationReport;
import ai.infer4j.engine.data.LabeledText;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Compares a variant with its FP32 model on labelled data and decides whether the variant may be used:
 * classifiers must give the same top-1 answer on at least {@code minTop1Agreement} of the inputs and
 * lose at most {@code maxMetricDropPoints} of accuracy; embedding models must keep the 1st-percentile
 * cosine of their vectors at or above {@code minCosineP1}. Heads trained on FP32 embeddings are
 * re-checked here as they are: on the variant's embeddings.
 */
public final class ParityGate {
    /** Sequences per forward pass while comparing. */
    static final int BATCH = 64;

    private ParityGate() {
    }

    public static ParityReport check(Model baseline, Model variant, List<LabeledText> data, String oosLabel,
                                     ParityReport.Thresholds t, Progress progress) {
        if (data.isEmpty()) throw new BadInputException("the evaluation set is empty");
        if (!baseline.task().kind().equals(variant.task().kind()))
            throw new BadInputException("cannot compare a " + baseline.task().kind() + " model with a " + variant.task().kind() + " model");
        List<TextInput> inputs = data.stream().map(d -> TextInput.of(d.text())).toList();
        float[][] a = baseline.backbone().forwardAll(baseline.tokenize(inputs), BATCH,
                done -> progress.update("run fp32", done, data.size()));
        float[][] b = variant.backbone().forwardAll(variant.tokenize(inputs), BATCH,
                done -> progress.update("run variant", done, data.size()));

        double[] cos = new double[data.size()];
        for (int i = 0; i < cos.length; i++) cos[i] = cosine(a[i], b[i]);
        double mean = Arrays.stream(cos).average().orElse(Double.NaN);
        double[] sorted = cos.clone();
        Arrays.sort(sorted);
        double p1 = sorted[(int) Math.floor(0.01 * (sorted.length - 1))];

        List<String> failures = new ArrayList<>();
        if (!(baseline.task() instanceof Classifier)) {
            if (p1 < t.minCosineP1())
                failures.add(String.format(Locale.ROOT, "embedding cosine p1 %.4f is below %.4f", p1, t.minCosineP1()));
            return new ParityReport(data.size(), null, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, mean, p1,
                    sorted[0], t, failures);
        }
        List<String> pa = new ArrayList<>(a.length), pb = new ArrayList<>(b.length);
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            pa.add(baseline.predict(a[i]).label());
            pb.add(variant.predict(b[i]).label());
            if (pa.get(i).equals(pb.get(i))) same++;
        }
        double agreement = (double) same / a.length;
        if (agreement < t.minTop1Agreement())
            failures.add(String.format(Locale.ROOT, "top-1 agreement %.4f is below %.4f", agreement, t.minTop1Agreement()));

        List<String> truth = data.stream().map(LabeledText::label).toList();
        boolean labelled = truth.stream().allMatch(l -> l != null && baseline.labels().contains(l));
        if (!labelled)
            return new ParityReport(data.size(), null, Double.NaN, Double.NaN, Double.NaN, Double.NaN, agreement, mean, p1,
                    sorted[0], t, failures);
        String oos = oosLabel != null && baseline.labels().contains(oosLabel) ? oosLabel : null;
        ClassificationReport ra = ClassificationReport.of(truth, pa, oos), rb = ClassificationReport.of(truth, pb, oos);
        double drop = (ra.accuracy() - rb.accuracy()) * 100;
        if (drop > t.maxMetricDropPoints())
            failures.add(String.format(Locale.ROOT, "accuracy drops by %.2f points (%.4f -> %.4f), more than %.2f",
                    drop, ra.accuracy(), rb.accuracy(), t.maxMetricDropPoints()));
        return new ParityReport(data.size(), "accuracy", ra.accuracy(), rb.accuracy(), ra.macroF1(), rb.macroF1(), agreement,
                mean, p1, sorted[0], t, failures);
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
