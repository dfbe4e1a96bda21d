/**
 * The engine's entry point: {@link ai.infer4j.engine.Engine} (loads models, owns one batching scheduler per
 * backbone) and {@link ai.infer4j.engine.Model} (backbone + task). The shared vocabulary lives in leaf packages that
 * depend on nothing here: the typed {@link ai.infer4j.engine.error.InferenceException}s that carry their HTTP status
 * ({@code engine.error}), the inputs {@code TextInput} and {@code PairInput} ({@code engine.input}),
 * {@code EngineOptions} ({@code engine.config}) and {@code AtomicFiles} ({@code engine.io}). No sub-package depends
 * on this one (see docs/decisions.md, "package cycles").
 *
 * <pre>
 * try (Engine engine = Engine.create(EngineOptions.defaults())) {
 *     Model intent = engine.load("intent");                      // built-in name, .mar archive or export directory
 *     List&lt;Answer&gt; now = intent.run(Request.of("I lost my card")); // synchronous, one caller
 *     engine.submit(intent, Request.of("hi"), Duration.ofSeconds(1)) // batched with other callers' requests
 *           .thenAccept(answers -&gt; ...);
 * } catch (BadInputException e) {                                 // e.status() == 400; OverloadedException 503, ...
 * }
 * </pre>
 */
package ai.infer4j.engine;
