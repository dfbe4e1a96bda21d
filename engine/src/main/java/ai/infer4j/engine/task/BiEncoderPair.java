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

    /**
     * Scores pairs together from their sides' embeddings: a head that {@link PairHead#readsCandidates} compares each pair
     * with the others of this call that share a record ({@link CandidateFeatures}); otherwise the same as {@link #score}
     * pair by pair.
     */
    public List<PairScore> scoreAll(List<PairInput> pairs, List<float[]> lefts, List<float[]> rights) {
        return head.scoreAll(pairs.stream().map(PairInput::left).toList(), pairs.stream().map(PairInput::right).toList(), lefts, rights, null);
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

    /** One input's answer; a head with a portable branch routes by all the request's records (see {@link #answers}). */
    @Override
    public Answer answer(Plan plan, int item, float[][] vectors) {
        return answer(routed(plan), Sequences.pairs(plan.request()), plan, item, vectors);
    }

    /**
     * Every input's answer, in request order: a head with a portable branch picks one branch for the whole request, by
     * how familiar all its records are, once here, not once per input.
     */
    @Override
    public List<Answer> answers(Plan plan, float[][] vectors) {
        PairHead h = routed(plan);
        List<PairInput> pairs = Sequences.pairs(plan.request());
        int n = pairs.size();
        List<Answer> out = new ArrayList<>(n);
        if (!h.readsCandidates()) {
            for (int i = 0; i < n; i++) out.add(answer(h, pairs, plan, i, vectors));
            return out;
        }
        // candidate features compare a pair with the request's pairs that share one of its records: one pass for all
        List<float[]> lefts = new ArrayList<>(n), rights = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            lefts.add(vectors[plan.index(i, 0)]);
            rights.add(vectors[plan.index(i, 1)]);
        }
        List<PairScore> scores = h.scoreAll(pairs.stream().map(PairInput::left).toList(), pairs.stream().map(PairInput::right).toList(),
                lefts, rights, null);
        for (int i = 0; i < n; i++) out.add(new Answer.Matched(scores.get(i), truncated(plan, i)));
        return out;
    }

    /** The head that scores this request: this task's head, or the branch its {@link PairHead#route} picks. */
    PairHead routed(Plan plan) {
        return head.portable() == null ? head : head.route(records(Sequences.pairs(plan.request())));
    }

    private static Answer answer(PairHead h, List<PairInput> pairs, Plan plan, int item, float[][] vectors) {
        PairInput pair = pairs.get(item);
        int l = plan.index(item, 0), r = plan.index(item, 1);
        return new Answer.Matched(h.readsCandidates() ? withinRequest(h, plan, item, vectors)
                : h.score(pair.left(), pair.right(), vectors[l], vectors[r]), truncated(plan, item));
    }

    private static boolean truncated(Plan plan, int item) {
        return plan.sequences().get(plan.index(item, 0)).truncated() || plan.sequences().get(plan.index(item, 1)).truncated();
    }

    private static List<Map<String, String>> records(List<PairInput> pairs) {
        List<Map<String, String>> out = new ArrayList<>(2 * pairs.size());
        for (PairInput p : pairs) {
            out.add(p.left());
            out.add(p.right());
        }
        return out;
    }

    /** A pair's score by {@code h} with candidate features over the pairs of its request that share one of its records. */
    private static PairScore withinRequest(PairHead h, Plan plan, int item, float[][] vectors) {
        List<PairInput> pairs = Sequences.pairs(plan.request());
        PairInput pair = pairs.get(item);
        List<PairInput> group = new ArrayList<>();
        List<float[]> lefts = new ArrayList<>(), rights = new ArrayList<>();
        int self = -1;
        for (int j = 0; j < pairs.size(); j++) {
            PairInput p = pairs.get(j);
            if (j != item && !p.left().equals(pair.left()) && !p.right().equals(pair.right())) continue;
            if (j == item) self = group.size();
            group.add(p);
            lefts.add(vectors[plan.index(j, 0)]);
            rights.add(vectors[plan.index(j, 1)]);
        }
        return h.scoreAll(group.stream().map(PairInput::left).toList(), group.stream().map(PairInput::right).toList(), lefts, rights,
                null).get(self);
    }
}
