/**
 * The registry of served models. {@link ai.infer4j.server.registry.ModelRegistry} holds every name → version →
 * (model, scheduler) and swaps a new version in only once it is loaded and warm. Inference and management routes
 * both read it; it depends on neither.
 *
 * <pre>
 * ModelRegistry registry = new ModelRegistry(engine, metrics, drainTimeout);
 * registry.register("intent", "intent", 2, BatchPolicy.defaults(), Duration.ofSeconds(5));
 * ModelRegistry.Served s = registry.resolve("intent", null);       // default version; ModelNotFoundException (404)
 * </pre>
 */
package ai.infer4j.server.registry;
