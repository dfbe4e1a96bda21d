/**
 * The infer4j server: {@link ai.infer4j.server.InferenceServer} wires one engine to the inference, management,
 * metrics and gRPC listeners; {@link ai.infer4j.server.config.ServerConfig} holds its settings in small groups (listeners,
 * models, limits, workers + batch policy, security, capture, precision), each reading its own
 * {@code config.properties} keys.
 *
 * <pre>
 * ServerConfig c = ServerConfig.load(Path.of("config.properties"));  // TorchServe key names; unknown keys refused
 * Properties flags = new Properties();
 * flags.setProperty("batch_size", "8");                              // what 'serve --batch-size 8' does
 * try (InferenceServer s = InferenceServer.start(c.with(flags, null))) {
 *     s.awaitShutdown();                                             // close() drains, then stops in reverse order
 * }
 * </pre>
 */
package ai.infer4j.server;
