package ai.infer4j.engine.train;

/** One line of an intent data file: {@code {"text": ..., "label": ...}}. */
public record LabeledText(String text, String label) { }
