/**
 * TorchServe's management API and the registry of served models. {@link ai.infer4j.server.management.ModelRegistry}
 * holds every name → version → (model, scheduler) and swaps a new version in only once it is loaded and warm;
 * {@link ai.infer4j.server.management.ManagementRoutes} is the route table (list, describe, register, scale,
 * set-default, unregister) and runs model work on the management executor, never on an I/O thread.
 *
 * <pre>
 * ModelRegistry registry = new ModelRegistry(engine, metrics, drainTimeout);
 * registry.register("intent", "intent", 2, BatchPolicy.defaults(), Duration.ofSeconds(5));
 * ModelRegistry.Served s = registry.resolve("intent", null);       // default version; ModelNotFoundException (404)
 * Routes table = ManagementRoutes.table(registry, config, downloadDir, executor);
 * </pre>
 */
package ai.infer4j.server.management;
