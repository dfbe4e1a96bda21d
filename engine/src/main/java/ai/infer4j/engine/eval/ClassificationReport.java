package ai.infer4j.engine.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Classification metrics of predicted against true labels.
 *
 * @param n               examples
 * @param accuracy        fraction exactly right, over all examples
 * @param macroF1         unweighted mean F1 over all labels seen (true or predicted)
 * @param inScopeAccuracy accuracy over examples whose true label is not the out-of-scope label
 *                        (an out-of-scope prediction on them counts as wrong); NaN when there are none
 * @param oosRecall       fraction of out-of-scope examples predicted out-of-scope; NaN when there are none
 * @param perClass        per label: precision, recall, F1 and support
 * @param oosCurve        out-of-scope trade-off at several thresholds (empty when not computed)
 */
public record ClassificationReport(int n, double accuracy, double macroF1, double inScopeAccuracy, double oosRecall,
                                   Map<String, ClassScore> perClass, List<OosPoint> oosCurve) {
    public ClassificationReport {
        oosCurve = List.copyOf(oosCurve);
    }

    /**
     * One point of the out-of-scope trade-off: input whose out-of-scope score is at or above {@code threshold} (or whose
     * top class is the out-of-scope label) is answered out-of-scope.
     *
     * @param inScopeRejected fraction of in-scope examples answered out-of-scope
     * @param oosPrecision    fraction of out-of-scope answers that were truly out of scope
     * @param atHeadThreshold true for the point at the head's own threshold
     */
    public record OosPoint(double threshold, double inScopeRejected, double inScopeAccuracy, double oosRecall, double oosPrecision,
                           boolean atHeadThreshold) { }

    /** This report with a trade-off curve. */
    public ClassificationReport withCurve(List<OosPoint> curve) {
        return new ClassificationReport(n, accuracy, macroF1, inScopeAccuracy, oosRecall, perClass, curve);
    }

    /** Precision, recall and F1 of one label; {@code support} is how many examples truly have it. */
    public record ClassScore(double precision, double recall, double f1, int support) { }

    /**
     * Computes the report.
     *
     * @param oosLabel the out-of-scope label (e.g. {@code oos}), or null if the task has none
     */
    public static ClassificationReport of(List<String> truth, List<String> predicted, String oosLabel) {
        if (truth.size() != predicted.size())
            throw new IllegalArgumentException("truth has " + truth.size() + " labels, predictions " + predicted.size());
        int n = truth.size();
        Map<String, int[]> counts = new TreeMap<>(); // tp, fp, fn, support
        TreeSet<String> labels = new TreeSet<>(truth);
        labels.addAll(predicted);
        labels.forEach(l -> counts.put(l, new int[4]));
        int correct = 0, inScope = 0, inScopeCorrect = 0, oos = 0, oosCaught = 0;
        for (int i = 0; i < n; i++) {
            String t = truth.get(i), p = predicted.get(i);
            counts.get(t)[3]++;
            if (t.equals(p)) {
                correct++;
                counts.get(t)[0]++;
            } else {
                counts.get(p)[1]++;
                counts.get(t)[2]++;
            }
            if (oosLabel != null && t.equals(oosLabel)) {
                oos++;
                if (p.equals(oosLabel)) oosCaught++;
            } else {
                inScope++;
                if (t.equals(p)) inScopeCorrect++;
            }
        }
        Map<String, ClassScore> per = new TreeMap<>();
        double f1Sum = 0;
        for (var e : counts.entrySet()) {
            int[] c = e.getValue();
            double prec = c[0] + c[1] == 0 ? 0 : (double) c[0] / (c[0] + c[1]);
            double rec = c[0] + c[2] == 0 ? 0 : (double) c[0] / (c[0] + c[2]);
            double f1 = prec + rec == 0 ? 0 : 2 * prec * rec / (prec + rec);
            per.put(e.getKey(), new ClassScore(prec, rec, f1, c[3]));
            f1Sum += f1;
        }
        return new ClassificationReport(n, n == 0 ? Double.NaN : (double) correct / n,
                per.isEmpty() ? Double.NaN : f1Sum / per.size(),
                inScope == 0 ? Double.NaN : (double) inScopeCorrect / inScope,
                oos == 0 ? Double.NaN : (double) oosCaught / oos, per, List.of());
    }

    /** The {@code k} labels with the lowest F1 (ties by name), among labels that occur in the truth. */
    public List<Map.Entry<String, ClassScore>> worst(int k) {
        List<Map.Entry<String, ClassScore>> all = new ArrayList<>();
        for (var e : perClass.entrySet()) if (e.getValue().support() > 0) all.add(e);
        all.sort(Comparator.comparingDouble((Map.Entry<String, ClassScore> e) -> e.getValue().f1()).thenComparing(Map.Entry::getKey));
        return all.subList(0, Math.min(k, all.size()));
    }
}
