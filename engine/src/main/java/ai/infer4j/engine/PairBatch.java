package ai.infer4j.engine;

import ai.infer4j.engine.task.PairScore;
import ai.infer4j.engine.tokenize.Tokens;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores a batch of pairs and keeps going past bad ones: each result holds a score or the reason the
 * pair could not be scored. For a bi-encoder, each distinct record text is embedded once and kept in
 * the caller's {@code cache} (so a caller scoring a stream in chunks, e.g. a Spark partition, embeds a
 * record once per stream); a cross-encoder runs every pair through the model.
 * Not thread-safe with respect to {@code cache}: use one cache per thread.
 */
public final class PairBatch {
    /** Decision threshold of a cross-encoder unless its manifest names one ({@code "threshold"}). */
    public static final double CROSS_ENCODER_THRESHOLD = 0.5;

    /** One pair's outcome: exactly one of {@code score} and {@code error} is set. */
    public record Result(PairScore score, BadInputException error) { }

    private PairBatch() {
    }

    /**
     * Scores {@code pairs} in input order.
     *
     * @param cache     record text to pooled embedding; read and filled (bi-encoder only)
     * @param batchSize sequences per forward pass
     */
    public static List<Result> score(Model model, List<PairInput> pairs, Map<String, float[]> cache, int batchSize) {
        if (model.task() != Model.Task.PAIR) throw new BadInputException("model '" + model.name() + "' is not a pair model");
        String[][] texts = new String[pairs.size()][];
        BadInputException[] errors = new BadInputException[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            try {
                PairInput p = pairs.get(i);
                texts[i] = new String[] {model.recordText(p.left(), "left"), model.recordText(p.right(), "right")};
            } catch (BadInputException e) {
                errors[i] = e;
            }
        }
        return model.pairHead() != null ? biEncoder(model, pairs, texts, errors, cache, batchSize)
                : crossEncoder(model, texts, errors, batchSize);
    }

    private static List<Result> biEncoder(Model model, List<PairInput> pairs, String[][] texts, BadInputException[] errors,
                                          Map<String, float[]> cache, int batchSize) {
        Map<String, Tokens> todo = new LinkedHashMap<>();
        Map<String, BadInputException> badTexts = new LinkedHashMap<>();
        for (String[] t : texts) {
            if (t == null) continue;
            for (String s : t) {
                if (cache.containsKey(s) || todo.containsKey(s) || badTexts.containsKey(s)) continue;
                try {
                    todo.put(s, model.tokenizeText(s));
                } catch (BadInputException e) {
                    badTexts.put(s, e);
                }
            }
        }
        if (!todo.isEmpty()) {
            List<String> keys = new ArrayList<>(todo.keySet());
            float[][] v = model.backbone().forwardAll(new ArrayList<>(todo.values()), batchSize, n -> { });
            for (int k = 0; k < keys.size(); k++) cache.put(keys.get(k), v[k]);
        }
        List<Result> out = new ArrayList<>(texts.length);
        for (int i = 0; i < texts.length; i++) {
            if (errors[i] != null) {
                out.add(new Result(null, errors[i]));
                continue;
            }
            BadInputException bad = badTexts.containsKey(texts[i][0]) ? badTexts.get(texts[i][0]).withPrefix("left: ")
                    : badTexts.containsKey(texts[i][1]) ? badTexts.get(texts[i][1]).withPrefix("right: ") : null;
            out.add(bad != null ? new Result(null, bad)
                    : new Result(model.scorePair(pairs.get(i), cache.get(texts[i][0]), cache.get(texts[i][1])), null));
        }
        return out;
    }

    private static List<Result> crossEncoder(Model model, String[][] texts, BadInputException[] errors, int batchSize) {
        List<Tokens> tokens = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            if (errors[i] != null) continue;
            try {
                tokens.add(model.backbone().tokenizer().encode(new TextInput(texts[i][0], texts[i][1])));
                rows.add(i);
            } catch (BadInputException e) {
                errors[i] = e;
            }
        }
        float[][] logits = model.backbone().forwardAll(tokens, batchSize, n -> { });
        double threshold = crossEncoderThreshold(model);
        Result[] out = new Result[texts.length];
        for (int k = 0; k < rows.size(); k++) out[rows.get(k)] = new Result(PairScore.of(probability(logits[k]), threshold), null);
        for (int i = 0; i < texts.length; i++) if (out[i] == null) out[i] = new Result(null, errors[i]);
        return List.of(out);
    }

    /** A cross-encoder's answer for one pair from its logits (e.g. computed in a shared batch by a scheduler). */
    public static PairScore crossEncoderScore(Model model, float[] logits) {
        return PairScore.of(probability(logits), crossEncoderThreshold(model));
    }

    /** Duplicate probability from cross-encoder logits: sigmoid of one logit, or softmax's last class (HF {@code LABEL_1}). */
    static double probability(float[] logits) {
        if (logits.length == 1) return 1 / (1 + Math.exp(-logits[0]));
        double max = Double.NEGATIVE_INFINITY;
        for (float z : logits) max = Math.max(max, z);
        double sum = 0;
        for (float z : logits) sum += Math.exp(z - max);
        return Math.exp(logits[logits.length - 1] - max) / sum;
    }

    private static double crossEncoderThreshold(Model model) {
        if (model.manifest() == null || model.manifest().extra().get("threshold") == null) return CROSS_ENCODER_THRESHOLD;
        double t = model.manifest().extra().get("threshold").asDouble(CROSS_ENCODER_THRESHOLD);
        return t > 0 && t < 1 ? t : CROSS_ENCODER_THRESHOLD;
    }
}
