/**
 * The inference API: TorchServe ({@code /predictions}), KServe v2 REST and gRPC, TEI- and OpenAI-style routes, all
 * registered in {@link ai.infer4j.server.inference.InferenceRoutes} and all answered through one path,
 * {@link ai.infer4j.server.inference.InferenceService}: parse → {@code Engine.submit} → answer → capture → metrics.
 *
 * <pre>
 * InferenceService svc = new InferenceService(engine, registry, config.limits().responseTimeout(), metrics, captureWriter);
 * Routes table = InferenceRoutes.table(svc);                       // method + pattern → handler, 404/405 from the table
 * HttpListener.bind("inference", address, boss, io, maxBody, idle, token, () -&gt; new RouteHandler(table, svc));
 * </pre>
 * A new route parses its body into a {@code Request} and calls {@code svc.predict(exchange, model, version, request,
 * render)}; it never queues, captures or counts on its own.
 */
package ai.infer4j.server.inference;
