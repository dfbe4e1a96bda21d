/**
 * How the engine runs models: {@link ai.infer4j.engine.config.EngineOptions} (threads per forward pass, tokens per
 * sequence, truncation, longest text, device, cache directory). A leaf package.
 *
 * <pre>
 * EngineOptions o = EngineOptions.defaults().withIntraOpThreads(1).withMaxLength(64);
 * try (Engine engine = Engine.create(o)) { ... }
 * </pre>
 */
package ai.infer4j.engine.config;
