/**
 * What callers send to score: {@link ai.infer4j.engine.input.TextInput} (a text, or a text pair for
 * cross-encoders) and {@link ai.infer4j.engine.input.PairInput} (two records, or two texts, to compare).
 * A leaf package (it uses only {@code engine.error}); handlers, tasks, the tokenizer and the server share it.
 *
 * <pre>
 * TextInput t = TextInput.of("I lost my card");
 * PairInput p = PairInput.ofTexts("Apple iPhone 13 128GB", "iPhone 13 (128 GB)");
 * </pre>
 */
package ai.infer4j.engine.input;
