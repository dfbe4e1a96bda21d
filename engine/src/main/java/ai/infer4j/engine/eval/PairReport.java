package ai.infer4j.engine.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Metrics of pair scores against 0/1 labels: precision, recall and F1 of the duplicate class at a
 * threshold, the best F1 over thresholds on this data, average precision and a precision/recall curve.
 *
 * @param n                pairs
 * @param positives        pairs labelled duplicate
 * @param threshold        the threshold the first metrics are at (the model's stored one)
 * @param bestF1           the highest F1 on this data over {@link #CURVE_THRESHOLDS}
 * @param bestThreshold    the first threshold reaching {@code bestF1}
 * @param averagePrecision mean precision at each positive's rank (area under the precision/recall curve)
 * @param curve            one point per threshold in {@link #CURVE_THRESHOLDS}
 */
public record PairReport(int n, int positives, double threshold, double precision, double recall, double f1,
                         int truePositives, int falsePositives, int falseNegatives,
                         double bestF1, double bestThreshold, double averagePrecision, List<Point> curve) {
    /** Thresholds of the curve and of the best-F1 search: 0.01, 0.02, ..., 0.99. */
    public static final double[] CURVE_THRESHOLDS = thresholds();

    /** Precision, recall and F1 at one threshold. */
    public record Point(double threshold, double precision, double recall, double f1) { }

    public static PairReport of(double[] scores, int[] labels, double threshold) {
        if (scores.length != labels.length)
            throw new IllegalArgumentException(scores.length + " scores but " + labels.length + " labels");
        int positives = 0;
        for (int y : labels) positives += y;
        int[] c = counts(scores, labels, threshold);
        Point at = point(threshold, c, positives);
        List<Point> curve = new ArrayList<>();
        Point best = null;
        for (double t : CURVE_THRESHOLDS) {
            Point p = point(t, counts(scores, labels, t), positives);
            curve.add(p);
            if (best == null || p.f1() > best.f1()) best = p;
        }
        return new PairReport(scores.length, positives, threshold, at.precision(), at.recall(), at.f1(), c[0], c[1],
                positives - c[0], best.f1(), best.threshold(), averagePrecision(scores, labels, positives), List.copyOf(curve));
    }

    /** True positives and false positives at {@code threshold} (score >= threshold is a duplicate). */
    private static int[] counts(double[] scores, int[] labels, double threshold) {
        int tp = 0, fp = 0;
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] < threshold) continue;
            if (labels[i] == 1) tp++;
            else fp++;
        }
        return new int[] {tp, fp};
    }

    private static Point point(double t, int[] c, int positives) {
        double precision = c[0] + c[1] == 0 ? 0 : (double) c[0] / (c[0] + c[1]);
        double recall = positives == 0 ? 0 : (double) c[0] / positives;
        double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return new Point(t, precision, recall, f1);
    }

    /** Mean of precision at the rank of each positive, ranking by score (ties in input order). */
    private static double averagePrecision(double[] scores, int[] labels, int positives) {
        if (positives == 0) return Double.NaN;
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -scores[i]));
        double sum = 0;
        int tp = 0;
        for (int k = 0; k < order.length; k++) {
            if (labels[order[k]] != 1) continue;
            tp++;
            sum += (double) tp / (k + 1);
        }
        return sum / positives;
    }

    private static double[] thresholds() {
        double[] t = new double[99];
        for (int i = 0; i < t.length; i++) t[i] = (i + 1) / 100.0;
        return t;
    }
}
