/**
 * The engine's entry point and its shared vocabulary: {@link ai.infer4j.engine.Engine} (loads models, owns one
 * batching scheduler per backbone), {@link ai.infer4j.engine.Model} (backbone + task), the inputs
 * ({@code TextInput}, {@code PairInput}) and the typed {@link ai.infer4j.engine.InferenceException}s that carry
 * their HTTP status. Sub-packages use only the vocabulary (exceptions, inputs, {@code AtomicFiles},
 * {@code Progress}); see docs/decisions.md for why it stays here.
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
