package ai.infer4j.engine.task;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.tokenize.TextTokenizer;
import ai.infer4j.engine.tokenize.Tokens;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Scores record pairs with a bi-encoder: each side is rendered ({@link RecordFormat}), embedded as an ordinary
 * sequence (so it can share a forward pass with any other model on the backbone), and the two embeddings go
 * through the cheap {@link PairHead}.
 */
public record BiEncoderPair(PairHead head) implements PairTask {
    /** The text a record is embedded as; throws {@link BadInputException} for an empty record. */
    public String text(Map<String, String> record, String side) {
        return head.format().render(record, side);
    }

    /** Tokens of an already rendered record text, cut to the format's tokens per side. */
    public Tokens tokens(String text, TextTokenizer tokenizer) {
        return tokenizer.encode(TextInput.of(text)).truncateTo(head.format().maxTokensPerSide());
    }

    /** Scores one pair from its two sides' embeddings (no forward pass). */
    public PairScore score(PairInput pair, float[] left, float[] right) {
        return head.score(pair.left(), pair.right(), left, right);
    }

    @Override
    public Plan plan(Request request, TextTokenizer tokenizer) {
        List<PairInput> pairs = Sequences.pairs(request);
        List<Tokens> out = new ArrayList<>(2 * pairs.size());
        for (int i = 0; i < pairs.size(); i++) {
            PairInput p = pairs.get(i);
            try {
                out.add(tokens(text(p.left(), "left"), tokenizer));
                out.add(tokens(text(p.right(), "right"), tokenizer));
            } catch (BadInputException e) {
                throw Sequences.named(e, i, pairs.size());
            }
        }
        return new Plan(request, out, 2);
    }

    @Override
    public Answer answer(Plan plan, int item, float[][] vectors) {
        PairInput pair = Sequences.pairs(plan.request()).get(item);
        int l = plan.index(item, 0), r = plan.index(item, 1);
        boolean truncated = plan.sequences().get(l).truncated() || plan.sequences().get(r).truncated();
        return new Answer.Matched(score(pair, vectors[l], vectors[r]), truncated);
    }
}
