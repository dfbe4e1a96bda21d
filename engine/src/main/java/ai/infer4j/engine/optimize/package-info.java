/**
 * Optimized model variants: ONNX Runtime offline graph optimization, dynamic INT8 quantization of
 * weight matrices done in Java on the ONNX protobuf graph ({@link ai.infer4j.engine.optimize.Int8Quantizer}),
 * and the accuracy-parity gate that decides whether a variant may replace its FP32 model.
 *
 * <pre>
 * try (Engine engine = Engine.create(EngineOptions.defaults())) {
 *     var req = OptimizeRequest.of("intent", OptimizeRequest.Precision.INT8, Path.of("valid.jsonl"), Path.of("intent-int8.mar"));
 *     Optimizer.OptimizeResult r = Optimizer.run(engine, req, Progress.NONE);
 *     // r.accepted(); r.parity().table("fp32", "int8"); the archive's manifest holds precision, optimization, parity
 *     Model int8 = engine.load("intent-int8.mar");
 *     VariantInfo info = VariantInfo.of(int8.manifest());   // "int8", gatePassed
 * }
 * </pre>
 */
package ai.infer4j.engine.optimize;
