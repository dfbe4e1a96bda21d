package ai.infer4j.engine.task;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.tokenize.TextTokenizer;
import ai.infer4j.engine.tokenize.Tokens;

import java.util.ArrayList;
import java.util.List;

/**
 * Scores record pairs with a cross-encoder: both rendered records go through the backbone as one text pair,
 * and its logits give the duplicate probability.
 *
 * @param format    how records become text
 * @param threshold decision threshold on the probability, in (0, 1)
 */
public record CrossEncoderPair(RecordFormat format, double threshold) implements PairTask {
    /** Decision threshold of a cross-encoder unless its manifest names one. */
    public static final double DEFAULT_THRESHOLD = 0.5;

    public CrossEncoderPair {
        if (!(threshold > 0 && threshold < 1)) threshold = DEFAULT_THRESHOLD;
    }

    /** The pair as one sequence; throws {@link BadInputException} for an empty record or too long a pair. */
    public Tokens tokens(PairInput pair, TextTokenizer tokenizer) {
        return tokenizer.encode(new TextInput(format.render(pair.left(), "left"), format.render(pair.right(), "right")));
    }

    /** A pair's answer from the cross-encoder's logits. */
    public PairScore score(float[] logits) {
        return PairScore.of(probability(logits), threshold);
    }

    @Override
    public Plan plan(Request request, TextTokenizer tokenizer) {
        List<PairInput> pairs = Sequences.pairs(request);
        List<Tokens> out = new ArrayList<>(pairs.size());
        for (int i = 0; i < pairs.size(); i++) {
            try {
                out.add(tokens(pairs.get(i), tokenizer));
            } catch (BadInputException e) {
                throw Sequences.named(e, i, pairs.size());
            }
        }
        return new Plan(request, out, 1);
    }

    @Override
    public Answer answer(Plan plan, int item, float[][] vectors) {
        int k = plan.index(item, 0);
        return new Answer.Matched(score(vectors[k]), plan.sequences().get(k).truncated());
    }

    /** Duplicate probability from logits: sigmoid of one logit, or softmax's last class (HF {@code LABEL_1}). */
    static double probability(float[] logits) {
        if (logits.length == 1) return 1 / (1 + Math.exp(-logits[0]));
        double max = Double.NEGATIVE_INFINITY;
        for (float z : logits) max = Math.max(max, z);
        double sum = 0;
        for (float z : logits) sum += Math.exp(z - max);
        return Math.exp(logits[logits.length - 1] - max) / sum;
    }
}
