/**
 * Custom handlers: operator-installed Java code around a model's task. A {@link ai.infer4j.engine.handler.Handler}
 * rewrites the request before tokenization and the answers after the head; {@link ai.infer4j.engine.handler.Handlers}
 * finds them with {@code ServiceLoader} in the jars of one plugins directory; an archive picks one by name in its
 * manifest ({@code "handler": "title-normaliser"}, optional {@code "handlerOptions": {...}}) and never carries code.
 * Every path that runs a model applies it: {@code Engine.submit} (server, gRPC, in-process bench, warm-up), {@code Model.run}
 * (CLI predict), {@code PairBatch} and evaluation.
 *
 * <pre>
 * // in the plugin jar: META-INF/services/ai.infer4j.engine.handler.Handler lists com.example.TitleNormaliser
 * try (Handlers handlers = Handlers.load(Path.of("plugins"), 2, 1024, HandlerListener.NONE);
 *      Engine engine = Engine.create(EngineOptions.defaults(), handlers)) {
 *     Model dup = engine.load("dup-titles.mar");          // manifest: "handler": "title-normaliser"
 *     dup.run(new Request.Pairs(List.of(pair)));           // before → plan → forward → answer → after
 * }
 * </pre>
 */
package ai.infer4j.engine.handler;
