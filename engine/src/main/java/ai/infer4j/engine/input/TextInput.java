package ai.infer4j.engine.input;

/**
 * One thing to score: a text, or a text pair for cross-encoders ({@code textPair} may be null).
 */
public record TextInput(String text, String textPair) {
    public static TextInput of(String text) {
        return new TextInput(text, null);
    }

    public boolean isPair() {
        return textPair != null;
    }
}
