package ai.infer4j.engine.task;

import ai.infer4j.engine.tokenize.Tokens;

import java.util.Map;

/** One input's answer: a classification, an embedding or a pair score. */
public sealed interface Answer permits Answer.Classified, Answer.Embedded, Answer.Matched {
    /** The input was cut at the model's maximum length. */
    boolean truncated();

    /** The input's tokens (for capture and monitoring), or null for pairs. */
    Tokens tokens();

    /** The backbone vector the answer was read from (for capture), or null for pairs. */
    float[] vector();

    /**
     * A classification.
     *
     * @param heads every head's answer by head name when all heads were asked for, else null
     */
    record Classified(Prediction prediction, Map<String, Prediction> heads, Tokens tokens, float[] vector) implements Answer {
        @Override
        public boolean truncated() {
            return tokens.truncated();
        }
    }

    /** A pooled, L2-normalised sentence embedding. */
    record Embedded(float[] vector, Tokens tokens) implements Answer {
        @Override
        public boolean truncated() {
            return tokens.truncated();
        }
    }

    /** A pair's score. */
    record Matched(PairScore score, boolean truncated) implements Answer {
        @Override
        public Tokens tokens() {
            return null;
        }

        @Override
        public float[] vector() {
            return null;
        }

        /** The same answer as a classification ({@code duplicate} / {@code different}). */
        public Prediction prediction() {
            return score.prediction();
        }
    }
}
