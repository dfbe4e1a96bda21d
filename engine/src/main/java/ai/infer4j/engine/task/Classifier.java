package ai.infer4j.engine.task;

import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.tokenize.TextTokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Classifies texts: with one or more softmax heads on the pooled embedding (the first is the primary answer;
 * all heads come from the same forward pass), or, with no heads, from a full classifier's own logits.
 *
 * @param heads  softmax heads, primary first; empty for a logits classifier
 * @param labels the primary answer's labels
 */
public record Classifier(List<SoftmaxHead> heads, List<String> labels) implements Task {
    public Classifier {
        heads = List.copyOf(heads);
        labels = List.copyOf(labels);
    }

    /** Softmax heads on a backbone that gives {@code width}-wide pooled embeddings. */
    public static Classifier ofHeads(List<SoftmaxHead> heads, int width) {
        if (heads.isEmpty()) throw new ModelLoadException("a classifier needs at least one head");
        for (SoftmaxHead h : heads)
            if (h.inputDim() != width)
                throw new ModelLoadException("head '" + h.name() + "' reads " + h.inputDim() + " values but the backbone gives " + width);
        return new Classifier(heads, heads.get(0).labels());
    }

    /** A full classifier's logits, {@code width} of them, named by {@code labels} (null: {@code LABEL_0..}). */
    public static Classifier ofLogits(List<String> labels, int width) {
        if (labels == null) {
            labels = new ArrayList<>(width);
            for (int i = 0; i < width; i++) labels.add("LABEL_" + i);
        }
        if (labels.size() != width)
            throw new ModelLoadException("the model has " + labels.size() + " labels in config.json but gives " + width + " logits");
        return new Classifier(List.of(), labels);
    }

    @Override
    public String kind() {
        return "classify";
    }

    @Override
    public Plan plan(Request request, TextTokenizer tokenizer) {
        return Sequences.texts(request, tokenizer,
                "this model is not a pair model; send {\"text\": ...} (record pairs need a pair model such as 'duplicate')");
    }

    @Override
    public Answer answer(Plan plan, int item, float[][] vectors) {
        float[] v = vectors[plan.index(item, 0)];
        String text = plan.request() instanceof Request.Texts in ? in.inputs().get(item).text() : null;
        Map<String, Prediction> all = null;
        if (plan.request() instanceof Request.Texts t && t.allHeads() && !heads.isEmpty()) {
            all = new LinkedHashMap<>();
            for (SoftmaxHead h : heads) all.put(h.name(), h.apply(v, text));
        }
        Prediction primary = all != null ? all.values().iterator().next() : predict(v, text);
        return new Answer.Classified(primary, all, plan.sequences().get(plan.index(item, 0)), v);
    }

    /** The primary answer for one backbone vector. */
    public Prediction predict(float[] vector) {
        return predict(vector, null);
    }

    /** The primary answer for one backbone vector and the text it came from (read by a head with a lexical layer). */
    public Prediction predict(float[] vector, String text) {
        if (!heads.isEmpty()) return heads.get(0).apply(vector, text);
        double[] z = new double[vector.length];
        for (int i = 0; i < z.length; i++) z[i] = vector[i];
        float[] p = SoftmaxHead.softmax(z);
        int best = 0;
        for (int k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
        return new Prediction(labels.get(best), p[best], labels, p);
    }
}
