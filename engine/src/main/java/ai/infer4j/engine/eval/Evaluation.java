package ai.infer4j.engine.eval;

import ai.infer4j.engine.Model;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.TextInput;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.train.LabeledText;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

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
}
