package ai.infer4j.engine.data;

/** One line of an intent data file: {@code {"text": ..., "label": ...}}. */
public record LabeledText(String text, String label) { }
