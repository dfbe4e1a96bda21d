/**
 * HTTP plumbing shared by the listeners: binding ({@link ai.infer4j.server.http.HttpListener}), the pipeline, one
 * {@link ai.infer4j.server.http.Exchange} per request and one ordered {@link ai.infer4j.server.http.Routes} table
 * per listener, and the one mapping from failures to JSON errors ({@link ai.infer4j.server.http.HttpSupport}).
 *
 * <pre>
 * Routes routes = new Routes("use GET /things/{id}")
 *         .add(HttpMethod.GET, "/things/{id}", x -&gt; x.json(HttpResponseStatus.OK, Map.of("id", x.var("id"))));
 * HttpListener.bind("things", address, boss, io, maxBytes, idle, null, () -&gt; new RouteHandler(routes, Exchange.Finisher.NONE));
 * </pre>
 */
package ai.infer4j.server.http;
