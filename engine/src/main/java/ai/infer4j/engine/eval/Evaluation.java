package ai.infer4j.engine.eval;

import ai.infer4j.engine.Model;
import ai.infer4j.engine.PairBatch;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.TextInput;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.train.LabeledPair;
import ai.infer4j.engine.train.LabeledText;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs a classifier over labelled data and reports how well it did. */
public final class Evaluation {
    private Evaluation() {
    }

    public static ClassificationReport classify(Model model, List<LabeledText> data, String oosLabel, Progress progress) {
        var tokens = model.tokenize(data.stream().map(d -> TextInput.of(d.text())).toList());
        float[][] v = model.backbone().forwardAll(tokens, 64, done -> progress.update("evaluate", done, data.size()));
        List<String> predicted = new java.util.ArrayList<>(v.length);
        for (float[] row : v) {
            Prediction p = model.predict(row);
            predicted.add(p.label());
        }
        boolean hasOos = oosLabel != null && model.labels().contains(oosLabel);
        return ClassificationReport.of(data.stream().map(LabeledText::label).toList(), predicted, hasOos ? oosLabel : null);
    }

    /** The JSON report: accuracy, macro_f1, in_scope_accuracy, oos_recall, n, worst classes and per-class scores. */
    public static ObjectNode toJson(ClassificationReport r, String modelName, int worst) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode o = json.createObjectNode();
        o.put("model", modelName);
        o.put("n", r.n());
        put(o, "accuracy", r.accuracy());
        put(o, "macro_f1", r.macroF1());
        put(o, "in_scope_accuracy", r.inScopeAccuracy());
        put(o, "oos_recall", r.oosRecall());
        ArrayNode w = o.putArray("worst");
        for (var e : r.worst(worst)) {
            ObjectNode c = w.addObject().put("label", e.getKey());
            score(c, e.getValue());
        }
        ObjectNode per = o.putObject("per_class");
        r.perClass().forEach((label, s) -> score(per.putObject(label), s));
        return o;
    }

    private static void score(ObjectNode c, ClassificationReport.ClassScore s) {
        put(c, "precision", s.precision());
        put(c, "recall", s.recall());
        put(c, "f1", s.f1());
        c.put("support", s.support());
    }

    private static void put(ObjectNode o, String key, double v) {
        if (Double.isNaN(v)) o.putNull(key);
        else o.put(key, Math.round(v * 1e6) / 1e6);
    }

    /** Pairs scored per chunk (progress granularity); records are embedded once across chunks. */
    private static final int PAIR_CHUNK = 512;

    /** Scores labelled pairs with a pair model and reports precision, recall and F1 at its stored threshold. */
    public static PairReport pairs(Model model, List<LabeledPair> data, Progress progress) {
        double[] scores = new double[data.size()];
        int[] labels = new int[data.size()];
        double threshold = Double.NaN;
        Map<String, float[]> cache = new HashMap<>();
        for (int start = 0; start < data.size(); start += PAIR_CHUNK) {
            List<LabeledPair> chunk = data.subList(start, Math.min(data.size(), start + PAIR_CHUNK));
            List<PairBatch.Result> results = PairBatch.score(model, chunk.stream().map(LabeledPair::pair).toList(), cache, 64);
            for (int k = 0; k < results.size(); k++) {
                PairBatch.Result r = results.get(k);
                if (r.error() != null) throw r.error().withPrefix("pair " + (start + k + 1) + ": ");
                scores[start + k] = r.score().score();
                labels[start + k] = chunk.get(k).label();
                threshold = r.score().threshold();
            }
            progress.update("evaluate", start + chunk.size(), data.size());
        }
        return PairReport.of(scores, labels, threshold);
    }

    /** The JSON report: precision, recall, f1, threshold, n, positives, best_f1, average_precision, pr_curve. */
    public static ObjectNode toJson(PairReport r, String modelName) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("model", modelName);
        o.put("task", "pair");
        o.put("n", r.n());
        o.put("positives", r.positives());
        put(o, "threshold", r.threshold());
        put(o, "precision", r.precision());
        put(o, "recall", r.recall());
        put(o, "f1", r.f1());
        o.put("true_positives", r.truePositives());
        o.put("false_positives", r.falsePositives());
        o.put("false_negatives", r.falseNegatives());
        put(o, "best_f1", r.bestF1());
        put(o, "best_threshold", r.bestThreshold());
        put(o, "average_precision", r.averagePrecision());
        ArrayNode curve = o.putArray("pr_curve");
        for (PairReport.Point p : r.curve()) {
            ObjectNode c = curve.addObject();
            put(c, "threshold", p.threshold());
            put(c, "precision", p.precision());
            put(c, "recall", p.recall());
            put(c, "f1", p.f1());
        }
        return o;
    }
}
