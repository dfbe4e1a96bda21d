package ai.infer4j.engine.eval;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.PairBatch;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.BiEncoderPair;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.task.Request;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.data.LabeledPair;
import ai.infer4j.engine.data.LabeledText;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs a classifier over labelled data and reports how well it did; a model's custom handler takes part, as when served. */
public final class Evaluation {
    private Evaluation() {
    }

    public static ClassificationReport classify(Model model, List<LabeledText> data, String oosLabel, Progress progress) {
        float[][] v;
        List<String> predicted = new ArrayList<>(data.size());
        if (model.handler() == null) {
            var tokens = model.tokenize(data.stream().map(d -> TextInput.of(d.text())).toList());
            v = model.backbone().forwardAll(tokens, 64, done -> progress.update("evaluate", done, data.size()));
            for (int i = 0; i < v.length; i++) {
                Prediction p = model.predict(v[i], data.get(i).text());
                predicted.add(p.label());
            }
        } else {
            v = new float[data.size()][];
            for (int start = 0; start < data.size(); start += 64) { // through the handler, as served
                List<String> chunk = data.subList(start, Math.min(data.size(), start + 64)).stream().map(LabeledText::text).toList();
                List<Answer> answers = model.run(Request.ofTexts(chunk));
                for (int k = 0; k < answers.size(); k++) {
                    if (!(answers.get(k) instanceof Answer.Classified c)) throw new BadInputException("model '" + model.name() + "' gives no labels");
                    predicted.add(c.prediction().label());
                    v[start + k] = c.vector();
                }
                progress.update("evaluate", start + chunk.size(), data.size());
            }
        }
        boolean hasOos = oosLabel != null && model.labels().contains(oosLabel);
        List<String> truth = data.stream().map(LabeledText::label).toList();
        ClassificationReport r = ClassificationReport.of(truth, predicted, hasOos ? oosLabel : null);
        if (hasOos && !model.heads().isEmpty() && oosLabel.equals(model.heads().get(0).oosLabel()) && truth.contains(oosLabel))
            r = r.withCurve(oosCurve(model.heads().get(0), v, data.stream().map(LabeledText::text).toList(), truth));
        return r;
    }

    /** In-scope rejection rates at which {@link #oosCurve} puts its points. */
    private static final double[] REJECT_RATES = {0, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2};

    /**
     * The out-of-scope trade-off of {@code head} on labelled embeddings: one point per in-scope rejection rate in
     * {@link #REJECT_RATES} (its threshold is that quantile of the in-scope examples' scores) plus the head's own threshold.
     */
    public static List<ClassificationReport.OosPoint> oosCurve(SoftmaxHead head, float[][] v, List<String> truth) {
        return oosCurve(head, v, null, truth);
    }

    /** {@link #oosCurve(SoftmaxHead, float[][], List)} with the texts the embeddings came from (null: none). */
    public static List<ClassificationReport.OosPoint> oosCurve(SoftmaxHead head, float[][] v, List<String> texts, List<String> truth) {
        String oos = head.oosLabel();
        double[] score = new double[v.length];
        boolean[] topOos = new boolean[v.length];
        String[] top = new String[v.length];
        List<Double> inScores = new ArrayList<>();
        for (int i = 0; i < v.length; i++) {
            String text = texts == null ? null : texts.get(i);
            score[i] = head.outOfScope(v[i], text);
            top[i] = head.topLabel(v[i], text);
            topOos[i] = top[i].equals(oos);
            if (!truth.get(i).equals(oos)) inScores.add(score[i]);
        }
        if (inScores.isEmpty()) return List.of();
        double[] sorted = inScores.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        List<ClassificationReport.OosPoint> out = new ArrayList<>();
        for (double rate : REJECT_RATES) {
            int idx = (int) Math.round((1 - rate) * sorted.length);
            double t = idx >= sorted.length ? Math.nextUp(sorted[sorted.length - 1]) : sorted[idx];
            out.add(point(head, top, truth, score, topOos, t, false));
        }
        out.add(point(head, top, truth, score, topOos, head.outOfScopeThreshold(), true));
        out.sort(Comparator.comparingDouble(ClassificationReport.OosPoint::threshold).reversed());
        return out;
    }

    private static ClassificationReport.OosPoint point(SoftmaxHead head, String[] top, List<String> truth, double[] score,
                                                       boolean[] topOos, double t, boolean own) {
        String oos = head.oosLabel();
        int inScope = 0, inRejected = 0, inCorrect = 0, oosRows = 0, caught = 0;
        for (int i = 0; i < top.length; i++) {
            boolean rejected = topOos[i] || score[i] >= t;
            if (truth.get(i).equals(oos)) {
                oosRows++;
                if (rejected) caught++;
            } else {
                inScope++;
                if (rejected) inRejected++;
                else if (top[i].equals(truth.get(i))) inCorrect++;
            }
        }
        int flagged = caught + inRejected;
        return new ClassificationReport.OosPoint(t, inScope == 0 ? 0 : (double) inRejected / inScope,
                inScope == 0 ? Double.NaN : (double) inCorrect / inScope, oosRows == 0 ? Double.NaN : (double) caught / oosRows,
                flagged == 0 ? Double.NaN : (double) caught / flagged, own);
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
        if (!r.oosCurve().isEmpty()) {
            ArrayNode curve = o.putArray("oos_curve");
            for (ClassificationReport.OosPoint p : r.oosCurve()) {
                ObjectNode c = curve.addObject();
                put(c, "threshold", p.threshold());
                put(c, "in_scope_rejected", p.inScopeRejected());
                put(c, "in_scope_accuracy", p.inScopeAccuracy());
                put(c, "oos_recall", p.oosRecall());
                put(c, "oos_precision", p.oosPrecision());
                if (p.atHeadThreshold()) c.put("head_threshold", true);
            }
        }
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

    /**
     * Scores labelled pairs with a pair model and reports precision, recall and F1 at its stored threshold. A head with
     * candidate features ({@link ai.infer4j.engine.task.CandidateFeatures}) or a portable branch (routed by all the records
     * scored together) scores the whole file in one call.
     */
    public static PairReport pairs(Model model, List<LabeledPair> data, Progress progress) {
        double[] scores = new double[data.size()];
        int[] labels = new int[data.size()];
        double threshold = Double.NaN;
        Map<String, float[]> cache = new HashMap<>();
        // candidate features compare a pair with the others scored with it, a portable branch is chosen by all the records:
        // the whole file is one call
        int chunkSize = model.task() instanceof BiEncoderPair bi && bi.head().scoresTogether() ? Math.max(1, data.size()) : PAIR_CHUNK;
        for (int start = 0; start < data.size(); start += chunkSize) {
            List<LabeledPair> chunk = data.subList(start, Math.min(data.size(), start + chunkSize));
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
