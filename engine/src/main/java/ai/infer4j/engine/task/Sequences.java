package ai.infer4j.engine.task;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.tokenize.TextTokenizer;

import java.util.ArrayList;
import java.util.List;

/** Request-to-sequence rules the tasks share. */
final class Sequences {
    private Sequences() {
    }

    /** One sequence per text input; a bad input is named by its index when there are several. */
    static Plan texts(Request request, TextTokenizer tokenizer, String pairsRefusal) {
        if (!(request instanceof Request.Texts texts)) throw new BadInputException(pairsRefusal);
        return new Plan(request, tokenizer.encodeAll(texts.inputs()), 1);
    }

    /** The pairs of a pair request: record pairs as they are, or text pairs ({@code text} + {@code text_pair}). */
    static List<PairInput> pairs(Request request) {
        if (request instanceof Request.Pairs p) return p.pairs();
        List<TextInput> inputs = ((Request.Texts) request).inputs();
        List<PairInput> out = new ArrayList<>(inputs.size());
        for (TextInput t : inputs) {
            if (t.textPair() == null)
                throw new BadInputException("this model compares pairs; send {\"left\": {...}, \"right\": {...}} or {\"text\": ..., \"text_pair\": ...}");
            out.add(PairInput.ofTexts(t.text(), t.textPair()));
        }
        return out;
    }

    static BadInputException named(BadInputException e, int i, int n) {
        return n == 1 ? e : e.withPrefix("input " + i + ": ");
    }
}
