/**
 * Labeled data files (JSON lines), the vocabulary that training, evaluation, optimisation, monitoring and Spark share.
 * A leaf package: it needs only the engine's input and exception types, so {@code train} and {@code eval} can both
 * use it without depending on each other.
 *
 * <pre>
 * List&lt;LabeledText&gt; intents = DataFiles.readLabeled(Path.of("valid.jsonl"));   // {"text": ..., "label": ...}
 * List&lt;LabeledPair&gt; pairs = DataFiles.readPairs(Path.of("pairs.jsonl"));       // {"left": ..., "right": ..., "label": 0|1}
 * </pre>
 * A bad line is refused with a {@code BadInputException} naming the file and line.
 */
package ai.infer4j.engine.data;
