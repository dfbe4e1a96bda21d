package ai.infer4j.engine.task;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.input.TextInput;

import java.util.Arrays;
import java.util.List;

/** What a caller asks a model: texts (optionally text pairs) or record pairs. */
public sealed interface Request permits Request.Texts, Request.Pairs {
    /** Number of inputs (answers come back one per input, in order). */
    int size();

    /**
     * Texts to classify or embed, or text pairs for a pair model.
     *
     * @param allHeads a multi-head classifier answers with every head, not only the primary one
     */
    record Texts(List<TextInput> inputs, boolean allHeads) implements Request {
        public Texts {
            inputs = List.copyOf(inputs);
            if (inputs.isEmpty()) throw new BadInputException("no inputs; send at least one");
        }

        @Override
        public int size() {
            return inputs.size();
        }
    }

    /** Record pairs, e.g. two product records, for a pair model. */
    record Pairs(List<PairInput> pairs) implements Request {
        public Pairs {
            pairs = List.copyOf(pairs);
            if (pairs.isEmpty()) throw new BadInputException("no pairs; send at least one");
        }

        @Override
        public int size() {
            return pairs.size();
        }
    }

    /** Plain texts, primary head only. */
    static Texts of(String... texts) {
        return ofTexts(Arrays.asList(texts));
    }

    static Texts ofTexts(List<String> texts) {
        return new Texts(texts.stream().map(TextInput::of).toList(), false);
    }

    static Texts ofInputs(List<TextInput> inputs) {
        return new Texts(inputs, false);
    }
}
