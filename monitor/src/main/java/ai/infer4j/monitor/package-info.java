/**
 * Data capture and model monitoring. {@link ai.infer4j.monitor.Monitor} computes a baseline from a data set
 * ({@code monitor.baseline}), checks a capture window against it ({@code monitor.drift}) and writes
 * {@code violations.json} and an HTML report ({@code monitor.report}); {@link ai.infer4j.monitor.LiveMonitor} is the
 * server's side: a bounded, never-blocking capture writer ({@code monitor.capture}) and rolling drift scores.
 *
 * <pre>
 * BaselineStatistics base = Monitor.baseline(model, DataFiles.readLabeled(train), "train.jsonl", 32, Progress.NONE);
 * Monitor.writeBaseline(base, constraints, Path.of("baseline"));
 * CheckResult r = Monitor.check(Path.of("baseline"), Path.of("capture"), from, to, constraints, Path.of("out"));
 * try (LiveMonitor live = Monitor.startLive(captureConfig, Clock.systemUTC())) { ... }   // in the server
 * </pre>
 */
package ai.infer4j.monitor;
