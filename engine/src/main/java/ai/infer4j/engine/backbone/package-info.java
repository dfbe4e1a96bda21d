/**
 * The shared encoder: one ONNX Runtime session pool over a BERT-family model ({@link ai.infer4j.engine.backbone.Backbone}),
 * its files on disk ({@link ai.infer4j.engine.backbone.BackboneFiles}), what its outputs mean
 * ({@link ai.infer4j.engine.backbone.ModelSignature}) and how token vectors become one vector per sequence
 * ({@link ai.infer4j.engine.backbone.Pooling}). Tasks and heads (package {@code engine.task}) sit on top; several
 * models can share one backbone and so one batch queue.
 *
 * <pre>
 * try (Backbone bb = Backbone.open(BackboneFiles.ofDirectory(dir), options)) {
 *     List&lt;Tokens&gt; batch = bb.tokenizer().encodeAll(inputs);     // List&lt;TextInput&gt;
 *     float[][] vectors = bb.forwardAll(batch, 32, done -&gt; { });   // pooled, in batches of 32
 * }
 * </pre>
 */
package ai.infer4j.engine.backbone;
