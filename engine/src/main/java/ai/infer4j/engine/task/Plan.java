package ai.infer4j.engine.task;

import ai.infer4j.engine.tokenize.Tokens;

import java.util.List;

/**
 * A request turned into the token sequences to run through the backbone. Input {@code i} owns
 * {@code perInput} consecutive sequences starting at {@code i * perInput} (two for a bi-encoder pair, else one).
 */
public record Plan(Request request, List<Tokens> sequences, int perInput) {
    public Plan {
        sequences = List.copyOf(sequences);
        if (perInput < 1) throw new IllegalArgumentException("perInput must be >= 1, got " + perInput);
        if (sequences.size() != request.size() * perInput)
            throw new IllegalArgumentException(sequences.size() + " sequences for " + request.size() + " inputs x " + perInput);
    }

    /** Sequence {@code k} (0-based) of input {@code item}. */
    public int index(int item, int k) {
        return item * perInput + k;
    }
}
