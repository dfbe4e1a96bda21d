package ai.infer4j.engine.optimize;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Locale;

/**
 * How closely a variant (INT8, graph-optimized) follows its FP32 model on an evaluation set.
 *
 * @param n                 examples compared
 * @param metric            task metric name ({@code accuracy} for classifiers, {@code f1} of the duplicate class for pair
 *                          models), or null when the data has no usable labels
 * @param baselineMetric    FP32 value of the metric, 0..1 (NaN without a metric)
 * @param variantMetric     variant value of the metric, 0..1 (NaN without a metric)
 * @param baselineMacroF1   FP32 macro-F1, 0..1 (NaN without a metric)
 * @param variantMacroF1    variant macro-F1, 0..1 (NaN without a metric)
 * @param top1Agreement     fraction of inputs where both answer the same label (pair models: the same duplicate decision;
 *                          NaN for embedding models)
 * @param cosineMean        mean cosine similarity of the backbone vectors (embeddings or logits; for a bi-encoder pair
 *                          model, of each distinct record's embedding; NaN for a cross-encoder)
 * @param cosineP1          1st percentile of that cosine (99% of inputs are at least this close)
 * @param cosineMin         smallest cosine seen
 * @param dropLowPoints     lower end of the metric drop's paired-bootstrap band, points: the {@code 1 - dropConfidence}
 *                          quantile (NaN without a metric or with {@code dropConfidence} 0)
 * @param dropHighPoints    upper end: the {@code dropConfidence} quantile
 * @param thresholds        the gate applied
 * @param failures          why the gate refused the variant; empty when it passed
 */
public record ParityReport(int n, String metric, double baselineMetric, double variantMetric, double baselineMacroF1,
                           double variantMacroF1, double top1Agreement, double cosineMean, double cosineP1, double cosineMin,
                           double dropLowPoints, double dropHighPoints, Thresholds thresholds, List<String> failures) {

    /**
     * The accuracy-parity gate.
     *
     * @param minTop1Agreement    least fraction of identical top-1 answers (classifiers) or duplicate decisions (pairs)
     * @param maxMetricDropPoints largest drop of the task metric, in percentage points
     * @param minCosineP1         least 1st-percentile cosine (embedding models, which have no labels)
     * @param dropConfidence      0: the measured drop itself must not exceed {@code maxMetricDropPoints} (one sample decides);
     *                            in (0.5, 1): the drop is refused only when it exceeds {@code maxMetricDropPoints} with this
     *                            confidence, i.e. when even the lower end of its paired-bootstrap band (the
     *                            {@code 1 - dropConfidence} quantile of the resampled drops) is above it. The agreement bound
     *                            is exact either way.
     */
    public record Thresholds(double minTop1Agreement, double maxMetricDropPoints, double minCosineP1, double dropConfidence) {
        /** The default drop confidence. */
        public static final double DROP_CONFIDENCE = 0.95;

        public Thresholds {
            if (minTop1Agreement < 0 || minTop1Agreement > 1)
                throw new IllegalArgumentException("minTop1Agreement must be in [0, 1], got " + minTop1Agreement);
            if (maxMetricDropPoints < 0) throw new IllegalArgumentException("maxMetricDropPoints must be >= 0, got " + maxMetricDropPoints);
            if (dropConfidence != 0 && !(dropConfidence > 0.5 && dropConfidence < 1))
                throw new IllegalArgumentException("dropConfidence must be 0 (no band) or in (0.5, 1), got " + dropConfidence);
        }

        /** These bounds with the default drop confidence ({@value #DROP_CONFIDENCE}). */
        public Thresholds(double minTop1Agreement, double maxMetricDropPoints, double minCosineP1) {
            this(minTop1Agreement, maxMetricDropPoints, minCosineP1, DROP_CONFIDENCE);
        }

        /** Agreement >= 99%, metric drop <= 0.5 points unless the bootstrap band says it is more with 95% confidence, embedding cosine p1 >= 0.95. */
        public static Thresholds defaults() {
            return new Thresholds(0.99, 0.5, 0.95, DROP_CONFIDENCE);
        }
    }

    public ParityReport {
        failures = List.copyOf(failures);
    }

    public boolean passed() {
        return failures.isEmpty();
    }

    /** Metric drop in percentage points (positive = the variant is worse). */
    public double metricDropPoints() {
        return (baselineMetric - variantMetric) * 100;
    }

    /** The report as stored in an archive manifest ({@code extra.parity}). */
    public ObjectNode toJson() {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("passed", passed());
        o.put("n", n);
        if (metric != null) {
            o.put("metric", metric);
            put(o, "baseline", baselineMetric);
            put(o, "variant", variantMetric);
            put(o, "dropPoints", metricDropPoints());
            put(o, "dropLowPoints", dropLowPoints);
            put(o, "dropHighPoints", dropHighPoints);
            put(o, "baselineMacroF1", baselineMacroF1);
            put(o, "variantMacroF1", variantMacroF1);
        }
        put(o, "top1Agreement", top1Agreement);
        put(o, "cosineMean", cosineMean);
        put(o, "cosineP1", cosineP1);
        put(o, "cosineMin", cosineMin);
        ObjectNode t = o.putObject("thresholds");
        t.put("minTop1Agreement", thresholds.minTop1Agreement());
        t.put("maxMetricDropPoints", thresholds.maxMetricDropPoints());
        t.put("minCosineP1", thresholds.minCosineP1());
        t.put("dropConfidence", thresholds.dropConfidence());
        failures.forEach(o.putArray("failures")::add);
        return o;
    }

    /** A short plain-text table for people. */
    public String table(String baselineName, String variantName) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-22s %12s %12s%n", "parity (n=" + n + ")", baselineName, variantName));
        if (metric != null) {
            b.append(String.format(Locale.ROOT, "%-22s %12.4f %12.4f   drop %.2f points%s (max %.2f%s)%n", metric, baselineMetric,
                    variantMetric, metricDropPoints(), Double.isNaN(dropLowPoints) ? ""
                            : String.format(Locale.ROOT, ", bootstrap band %.2f..%.2f", dropLowPoints, dropHighPoints),
                    thresholds.maxMetricDropPoints(), thresholds.dropConfidence() == 0 ? ""
                            : String.format(Locale.ROOT, " unless exceeded with %.0f%% confidence", 100 * thresholds.dropConfidence())));
            if (!Double.isNaN(baselineMacroF1))
                b.append(String.format(Locale.ROOT, "%-22s %12.4f %12.4f%n", "macro-F1", baselineMacroF1, variantMacroF1));
        }
        if (!Double.isNaN(top1Agreement))
            b.append(String.format(Locale.ROOT, "%-22s %25.4f   (min %.4f)%n", "f1".equals(metric) ? "decision agreement" : "top-1 agreement",
                    top1Agreement, thresholds.minTop1Agreement()));
        b.append(String.format(Locale.ROOT, "%-22s %25.5f%n", "cosine mean", cosineMean));
        b.append(String.format(Locale.ROOT, "%-22s %25.5f%n", "cosine p1", cosineP1));
        b.append(String.format(Locale.ROOT, "%-22s %25s%n", "gate", passed() ? "PASSED" : "FAILED: " + String.join("; ", failures)));
        return b.toString();
    }

    private static void put(ObjectNode o, String key, double v) {
        if (Double.isNaN(v)) o.putNull(key);
        else o.put(key, Math.round(v * 1e6) / 1e6);
    }
}
