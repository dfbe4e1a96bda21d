/**
 * The server's settings: {@link ai.infer4j.server.config.ServerConfig} in small groups (listeners, models, limits,
 * workers + batch policy, security, capture, precision), each reading its own {@code config.properties} keys
 * (TorchServe names; an unknown key is refused with its name). A leaf package of the server.
 *
 * <pre>
 * ServerConfig c = ServerConfig.load(Path.of("config.properties"));
 * Duration deadline = c.limits().responseTimeout();
 * </pre>
 */
package ai.infer4j.server.config;
