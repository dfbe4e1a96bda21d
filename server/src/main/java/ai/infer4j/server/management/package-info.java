/**
 * TorchServe's management API: {@link ai.infer4j.server.management.ManagementRoutes} is its route table (list,
 * describe, register, scale, set-default, unregister) and runs model work on the management executor, never on an
 * I/O thread. The served models themselves live in {@code server.registry}.
 *
 * <pre>
 * Routes table = ManagementRoutes.table(registry, config, downloadDir, executor);
 * </pre>
 */
package ai.infer4j.server.management;
