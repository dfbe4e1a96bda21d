/**
 * Load testing: {@link ai.infer4j.bench.Bench} drives a target (HTTP or the engine in-process, {@code bench.load})
 * on an open-loop schedule or with closed-loop clients, and records per-interval rows, an HdrHistogram log, a
 * summary and an HTML report ({@code bench.record}). {@code bench.tune} sweeps serving configurations on top of it.
 * Dependencies point one way: tune → load → record.
 *
 * <pre>
 * try (Target t = new HttpTarget(URI.create("http://127.0.0.1:8080/predictions/intent"), HttpTarget.Api.TORCHSERVE,
 *         Duration.ofSeconds(10), 4096)) {
 *     LoadSpec spec = LoadSpec.open(500, Duration.ofSeconds(5), Duration.ofSeconds(30)); // 500 req/s, latency from intended send time
 *     RunResult r = Bench.run(t, Inputs.cycled(Inputs.DEFAULT), spec, Path.of("out/run1"), row -&gt; { });
 *     double p99 = r.summary().p99Ms();
 * }
 * Bench.compare(Path.of("out/run1"), Path.of("out/run2"), Path.of("out/compare.html"));
 * </pre>
 */
package ai.infer4j.bench;
