package ai.infer4j.bench.stress;

import ai.infer4j.bench.Bench;
import ai.infer4j.bench.load.HttpTarget;
import ai.infer4j.bench.load.Inputs;
import ai.infer4j.bench.load.LoadSpec;
import ai.infer4j.bench.load.RunResult;
import ai.infer4j.bench.record.IntervalRow;
import ai.infer4j.server.InferenceServer;
import ai.infer4j.server.config.ServerConfig;
import ai.infer4j.server.selftest.BadRequests;
import ai.infer4j.server.selftest.Fuzzer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The reliability suite behind {@code infer4j selftest}: a bad-input campaign, overload at 3x saturation
 * (shedding, bounded memory, admitted p99 under the deadline, recovery), injected faults, drain under
 * load and an optional soak with model swaps. Starts its own server on free ports; writes
 * {@code summary.json} and returns the same figures. Every phase reports what it tried and what was lost.
 */
public final class SelfTest {
    /** What to run. {@code soak} zero skips the soak. */
    public record Plan(int badRequests, Duration overload, Duration soak, Duration swapEvery, Path outDir, Path cacheDir) { }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Duration DEADLINE = Duration.ofMillis(500);

    private final Plan plan;
    private final Consumer<String> log;
    private final ObjectNode summary = JSON.createObjectNode();
    private final HttpClient client = HttpClient.newHttpClient();

    public SelfTest(Plan plan, Consumer<String> log) {
        this.plan = plan;
        this.log = log;
    }

    public ObjectNode run() throws Exception {
        Files.createDirectories(plan.outDir());
        try (InferenceServer s = start(Properties::new)) {
            fuzz(s);
            double saturation = overload(s);
            faults(s);
            if (!plan.soak().isZero()) soak(s, saturation);
            summary.put("saturation_rps", Math.round(saturation));
        }
        drain();
        JSON.writeValue(plan.outDir().resolve("summary.json").toFile(), summary);
        return summary;
    }

    private InferenceServer start(Supplier<Properties> extra) throws Exception {
        Properties p = extra.get();
        p.setProperty("inference_address", "127.0.0.1:0");
        p.setProperty("management_address", "127.0.0.1:0");
        p.setProperty("metrics_address", "127.0.0.1:0");
        p.setProperty("grpc_address", "127.0.0.1:0");
        p.setProperty("default_response_timeout", Double.toString(DEADLINE.toMillis() / 1000.0));
        p.setProperty("job_queue_size", "256");
        p.setProperty("max_request_size", "65536");
        p.setProperty("idle_timeout", "2");
        p.setProperty("model_store", plan.outDir().toAbsolutePath().toString());
        if (plan.cacheDir() != null) p.setProperty("cache_dir", plan.cacheDir().toString());
        return InferenceServer.start(ServerConfig.defaults().with(p, null));
    }

    private void fuzz(InferenceServer s) throws Exception {
        log.accept("bad input: " + plan.badRequests() + " generated bad requests, each followed by a good one");
        var r = new Fuzzer(s.inferencePort()).run(new BadRequests(2026, 65536, 20_000).generate(plan.badRequests()));
        Fuzzer f = new Fuzzer(s.inferencePort());
        var slow = f.slowLoris(100);
        boolean others = f.run(new BadRequests(1, 65536, 20_000).generate(24)).failures().isEmpty();
        int closed = 0;
        for (var sock : slow) {
            if (Fuzzer.closedByServer(sock, Duration.ofSeconds(10))) closed++;
            sock.close();
        }
        ObjectNode o = summary.putObject("bad_input");
        o.put("tried", r.tried()).put("good_after_each_ok", r.goodRequests() - countGoodFailures(r.failures()))
                .put("failures", r.failures().size()).put("slow_loris_connections", slow.size())
                .put("slow_loris_closed_by_server", closed).put("served_while_slow_loris_open", others);
        o.set("by_kind", JSON.valueToTree(r.byKind()));
        if (!r.failures().isEmpty()) o.set("first_failures", JSON.valueToTree(r.failures().subList(0, Math.min(5, r.failures().size()))));
        log.accept(String.format("  %d tried, %d failures; slow-loris %d/%d closed, others served: %s", r.tried(), r.failures().size(),
                closed, slow.size(), others));
    }

    private static int countGoodFailures(List<String> failures) {
        return (int) failures.stream().filter(f -> f.startsWith("good request")).count();
    }

    /** Finds saturation (closed loop), then offers 3x that open-loop, then a light load to watch recovery. */
    private double overload(InferenceServer s) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + s.inferencePort() + "/predictions/intent");
        Inputs inputs = Inputs.cycled(Inputs.DEFAULT);
        RunResult sat = load(uri, inputs, LoadSpec.closed(32, Duration.ofSeconds(2), Duration.ofSeconds(8)), "saturation");
        double saturation = sat.summary().throughputRps();
        RunResult light = load(uri, inputs, LoadSpec.open(Math.max(1, saturation * 0.3), Duration.ofSeconds(1), Duration.ofSeconds(5)), "baseline");
        log.accept(String.format("overload: saturation %.0f req/s; offering %.0f req/s for %ds", saturation, 3 * saturation,
                plan.overload().toSeconds()));
        long heapBefore = usedHeapMb();
        MemorySampler mem = new MemorySampler();
        RunResult over = load(uri, inputs, LoadSpec.open(3 * saturation, Duration.ZERO, plan.overload())
                .withTimeout(Duration.ofSeconds(5)).withMaxInFlight(20_000), "overload");
        mem.stop();
        RunResult after = load(uri, inputs, LoadSpec.open(Math.max(1, saturation * 0.3), Duration.ZERO, Duration.ofSeconds(10)), "recovery");
        double normalP99 = light.summary().p99Ms();
        double recoveredAt = -1;
        for (IntervalRow row : after.rows())
            if (row.p99Ms() <= Math.max(2 * normalP99, normalP99 + 5)) {
                recoveredAt = row.timeS();
                break;
            }
        ObjectNode o = summary.putObject("overload");
        var os = over.summary();
        o.put("offered_rps", Math.round(3 * saturation)).put("sent", os.sent()).put("served", os.ok())
                .put("refused_503", os.errors().getOrDefault("refused", 0L)).put("timeouts", os.errors().getOrDefault("timeout", 0L))
                .put("server_errors", os.errors().getOrDefault("server_error", 0L)).put("io_errors", os.errors().getOrDefault("io_error", 0L))
                .put("served_p99_ms", os.p99Ms()).put("deadline_ms", DEADLINE.toMillis())
                .put("baseline_p99_ms", normalP99).put("recovery_p99_ms", after.summary().p99Ms())
                .put("recovered_within_s", recoveredAt).put("heap_used_mb_before", heapBefore)
                .put("heap_used_mb_max", mem.maxHeapMb()).put("rss_mb_max", mem.maxRssMb());
        log.accept(String.format("  served %d, refused %d, p99 of served %.1f ms (deadline %d ms); recovered p99 %.1f ms within %.0f s; max RSS %d MB",
                os.ok(), os.errors().getOrDefault("refused", 0L), os.p99Ms(), DEADLINE.toMillis(), after.summary().p99Ms(), recoveredAt,
                mem.maxRssMb()));
        return saturation;
    }

    private RunResult load(URI uri, Inputs inputs, LoadSpec spec, String name) throws InterruptedException {
        try (HttpTarget t = new HttpTarget(uri, HttpTarget.Api.guess(uri), spec.timeout(), 256)) {
            return Bench.run(t, inputs, spec, plan.outDir().resolve(name), row -> { });
        }
    }

    /** A broken archive and a model that fails at inference: only they fail; the default model keeps answering. */
    private void faults(InferenceServer s) throws Exception {
        Path broken = plan.outDir().resolve("broken.mar");
        Files.write(broken, "not a zip".getBytes());
        int mp = s.managementPort(), ip = s.inferencePort();
        int brokenStatus = send("POST", mp, "/models?url=broken.mar&model_name=broken", null).statusCode();
        String listing = send("GET", mp, "/models", null).body();
        int defaultAfter = send("POST", ip, "/predictions/intent", "{\"text\": \"hello\"}").statusCode();
        ObjectNode o = summary.putObject("faults");
        o.put("broken_archive_register_status", brokenStatus).put("broken_listed_as_failed", listing.contains("\"FAILED\""))
                .put("default_model_ok_after", defaultAfter == 200).put("faults_injected", 1);
        log.accept("faults: broken archive -> " + brokenStatus + ", listed as FAILED: " + listing.contains("\"FAILED\"")
                + ", default model still answers: " + (defaultAfter == 200));
    }

    /** Steady load with a model version swap every {@code swapEvery}; samples memory and latency per interval. */
    private void soak(InferenceServer s, double saturation) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + s.inferencePort() + "/predictions/intent");
        log.accept("soak: " + plan.soak().toSeconds() + " s at " + Math.round(saturation / 2) + " req/s, swapping versions every "
                + plan.swapEvery().toSeconds() + " s");
        Swapper swapper = new Swapper(s, plan.outDir(), plan.swapEvery(), this::send);
        swapper.start();
        MemorySampler mem = new MemorySampler();
        RunResult r = load(uri, Inputs.cycled(Inputs.DEFAULT), LoadSpec.open(saturation / 2, Duration.ofSeconds(2), plan.soak())
                .withInterval(Duration.ofSeconds(10)), "soak");
        mem.stop();
        int swaps = swapper.stop();
        List<Double> p99 = new ArrayList<>();
        for (IntervalRow row : r.rows()) p99.add(row.p99Ms());
        ObjectNode o = summary.putObject("soak");
        o.put("seconds", plan.soak().toSeconds()).put("sent", r.summary().sent()).put("served", r.summary().ok())
                .put("errors", r.summary().errorCount()).put("swaps", swaps).put("swap_failures", swapper.failures())
                .put("p99_ms_first_interval", p99.isEmpty() ? 0 : p99.get(0)).put("p99_ms_last_interval", p99.isEmpty() ? 0 : p99.get(p99.size() - 1));
        o.set("rss_mb_samples", JSON.valueToTree(mem.rssSamples()));
        o.set("heap_mb_samples", JSON.valueToTree(mem.heapSamples()));
        log.accept(String.format("  served %d, errors %d, swaps %d (failed %d), RSS %s MB", r.summary().ok(), r.summary().errorCount(),
                swaps, swapper.failures(), mem.rssSamples()));
    }

    /** Stops a server under load: admitted requests must all be answered. */
    private void drain() throws Exception {
        try (InferenceServer s = start(() -> {
            Properties p = new Properties();
            p.setProperty("max_batch_delay", "5");
            return p;
        })) {
            URI uri = URI.create("http://127.0.0.1:" + s.inferencePort() + "/predictions/intent");
            Thread stopper = new Thread(() -> {
                try {
                    Thread.sleep(3000); // let the load run for a while before the stop
                } catch (InterruptedException e) {
                    return;
                }
                s.close();
            }, "infer4j-selftest-stopper");
            stopper.start();
            RunResult r = load(uri, Inputs.cycled(Inputs.DEFAULT), LoadSpec.open(200, Duration.ZERO, Duration.ofSeconds(5)), "drain");
            stopper.join();
            var os = r.summary();
            ObjectNode o = summary.putObject("drain");
            o.put("sent", os.sent()).put("served", os.ok()).put("refused_503_after_stop", os.errors().getOrDefault("refused", 0L))
                    .put("connection_refused_after_stop", os.errors().getOrDefault("io_error", 0L))
                    .put("server_errors", os.errors().getOrDefault("server_error", 0L))
                    .put("admitted_but_unanswered", s.abandonedAtShutdown());
            log.accept(String.format("drain: served %d, refused after stop %d (+%d connections refused), server errors %d, admitted but unanswered %d",
                    os.ok(), os.errors().getOrDefault("refused", 0L), os.errors().getOrDefault("io_error", 0L),
                    os.errors().getOrDefault("server_error", 0L), s.abandonedAtShutdown()));
        }
    }

    HttpResponse<String> send(String method, int port, String path, String body) throws IOException, InterruptedException {
        var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static long usedHeapMb() {
        var h = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return h.getUsed() >> 20;
    }
}
