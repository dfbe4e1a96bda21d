package ai.infer4j.engine;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.handler.BoundHandler;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.BiEncoderPair;
import ai.infer4j.engine.task.CrossEncoderPair;
import ai.infer4j.engine.task.PairScore;
import ai.infer4j.engine.task.Request;
import ai.infer4j.engine.tokenize.TextTokenizer;
import ai.infer4j.engine.tokenize.Tokens;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bulk pair scoring that keeps going past bad pairs (batch jobs, evaluation): each result holds a score or the
 * reason the pair could not be scored. The pair rules are the model's task's ({@link BiEncoderPair},
 * {@link CrossEncoderPair}); what this adds is leniency and, for a bi-encoder, embedding each distinct record text
 * once, kept in the caller's {@code cache} (so a caller scoring a stream in chunks, e.g. a Spark partition, embeds
 * a record once per stream). The pairs of one call are scored together: a head with
 * {@link ai.infer4j.engine.task.CandidateFeatures} compares each pair with the pairs of the same call that share one of
 * its records. Not thread-safe with respect to {@code cache}: use one cache per thread.
 */
public final class PairBatch {
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
        BoundHandler h = model.handler();
        return h == null ? scoreTask(model, pairs, cache, batchSize) : handled(model, h, pairs, cache, batchSize);
    }

    /**
     * With a custom handler: its {@code before} rewrites the pairs (it must give record pairs back), and its {@code after}
     * sees the pairs that could be scored with their answers (a pair's {@code truncated} flag is not tracked here: false).
     */
    private static List<Result> handled(Model model, BoundHandler h, List<PairInput> pairs, Map<String, float[]> cache, int batchSize) {
        Request.Pairs request = h.beforePairs(new Request.Pairs(pairs));
        List<Result> results = new ArrayList<>(scoreTask(model, request.pairs(), cache, batchSize));
        List<Integer> scored = new ArrayList<>();
        List<PairInput> scoredPairs = new ArrayList<>();
        List<Answer> answers = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            if (results.get(i).score() == null) continue;
            scored.add(i);
            scoredPairs.add(request.pairs().get(i));
            answers.add(new Answer.Matched(results.get(i).score(), false));
        }
        if (scored.isEmpty()) return results;
        List<Answer> after = h.after(new Request.Pairs(scoredPairs), answers);
        for (int k = 0; k < scored.size(); k++) results.set(scored.get(k), new Result(((Answer.Matched) after.get(k)).score(), null));
        return results;
    }

    private static List<Result> scoreTask(Model model, List<PairInput> pairs, Map<String, float[]> cache, int batchSize) {
        if (model.task() instanceof BiEncoderPair bi) return biEncoder(model, bi, pairs, cache, batchSize);
        if (model.task() instanceof CrossEncoderPair cross) return crossEncoder(model, cross, pairs, batchSize);
        throw new BadInputException("model '" + model.name() + "' is not a pair model");
    }

    private static List<Result> biEncoder(Model model, BiEncoderPair task, List<PairInput> pairs, Map<String, float[]> cache, int batchSize) {
        TextTokenizer tokenizer = model.backbone().tokenizer();
        String[][] texts = new String[pairs.size()][];
        BadInputException[] errors = new BadInputException[pairs.size()];
        Map<String, Tokens> todo = new LinkedHashMap<>();
        Map<String, BadInputException> badTexts = new LinkedHashMap<>();
        for (int i = 0; i < pairs.size(); i++) {
            try {
                texts[i] = new String[] {task.text(pairs.get(i).left(), "left"), task.text(pairs.get(i).right(), "right")};
            } catch (BadInputException e) {
                errors[i] = e;
                continue;
            }
            for (String s : texts[i]) {
                if (cache.containsKey(s) || todo.containsKey(s) || badTexts.containsKey(s)) continue;
                try {
                    todo.put(s, task.tokens(s, tokenizer));
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
        Result[] out = new Result[pairs.size()];
        List<Integer> ok = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            if (errors[i] != null) {
                out[i] = new Result(null, errors[i]);
                continue;
            }
            BadInputException bad = badTexts.containsKey(texts[i][0]) ? badTexts.get(texts[i][0]).withPrefix("left: ")
                    : badTexts.containsKey(texts[i][1]) ? badTexts.get(texts[i][1]).withPrefix("right: ") : null;
            if (bad != null) out[i] = new Result(null, bad);
            else ok.add(i);
        }
        // scored together: a head with candidate features compares each pair with the others of this call
        List<PairScore> scores = task.scoreAll(ok.stream().map(pairs::get).toList(), ok.stream().map(i -> cache.get(texts[i][0])).toList(),
                ok.stream().map(i -> cache.get(texts[i][1])).toList());
        for (int k = 0; k < ok.size(); k++) out[ok.get(k)] = new Result(scores.get(k), null);
        return List.of(out);
    }

    private static List<Result> crossEncoder(Model model, CrossEncoderPair task, List<PairInput> pairs, int batchSize) {
        List<Tokens> tokens = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        BadInputException[] errors = new BadInputException[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            try {
                tokens.add(task.tokens(pairs.get(i), model.backbone().tokenizer()));
                rows.add(i);
            } catch (BadInputException e) {
                errors[i] = e;
            }
        }
        float[][] logits = model.backbone().forwardAll(tokens, batchSize, n -> { });
        Result[] out = new Result[pairs.size()];
        for (int k = 0; k < rows.size(); k++) out[rows.get(k)] = new Result(task.score(logits[k]), null);
        for (int i = 0; i < pairs.size(); i++) if (out[i] == null) out[i] = new Result(null, errors[i]);
        return List.of(out);
    }
}
