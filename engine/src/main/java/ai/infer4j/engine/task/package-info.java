/**
 * What a model does with its backbone: the sealed {@link ai.infer4j.engine.task.Task} (classifier, embedder,
 * bi-encoder pair, cross-encoder pair), the {@link ai.infer4j.engine.task.Request} it takes and the
 * {@link ai.infer4j.engine.task.Answer} it gives, and the trained heads.
 *
 * <pre>
 * Model intent = engine.load("intent");
 * List&lt;Answer&gt; a = intent.run(Request.of("I lost my card"));                 // synchronous
 * engine.submit(intent, Request.of("hi"), Duration.ofSeconds(1))                   // batched with other requests
 *       .thenAccept(answers -&gt; ((Answer.Classified) answers.get(0)).prediction());
 * engine.submit(engine.load("duplicate"), new Request.Pairs(List.of(pair)), timeout);  // record pairs
 * </pre>
 */
package ai.infer4j.engine.task;
