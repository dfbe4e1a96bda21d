package ai.infer4j.bench.stress;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.server.InferenceServer;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Swaps the {@code intent} model's version every period through the management API, as an operator
 * would: register version N+1 (loads and warms beside N), make it the default, unregister N.
 */
final class Swapper {
    interface Http {
        HttpResponse<String> send(String method, int port, String path, String body) throws Exception;
    }

    private final InferenceServer server;
    private final Path dir;
    private final Duration every;
    private final Http http;
    private final Thread thread;
    private volatile boolean running = true;
    private int swaps;
    private int failures;

    Swapper(InferenceServer server, Path dir, Duration every, Http http) {
        this.server = server;
        this.dir = dir;
        this.every = every;
        this.http = http;
        this.thread = new Thread(this::loop, "infer4j-selftest-swapper");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void loop() {
        Path head = dir.resolve("intent-head.json");
        HeadFiles.write(Engine.builtinHead("intent"), head);
        int version = 1;
        while (running) {
            try {
                Thread.sleep(every.toMillis()); // operator cadence
            } catch (InterruptedException e) {
                return;
            }
            int next = version + 1;
            Path mar = dir.resolve("intent-v" + next + ".mar");
            ModelArchive.write(new Manifest("intent", Integer.toString(next), "classify", "classify", BackboneFiles.BUILTIN,
                    List.of("heads/intent.json"), 128, Map.of(), Map.of()), null, Map.of("heads/intent.json", head), mar);
            int mp = server.managementPort();
            try {
                boolean ok = http.send("POST", mp, "/models?url=" + mar.getFileName(), null).statusCode() == 200
                        && http.send("PUT", mp, "/models/intent/" + next + "/set-default", null).statusCode() == 200
                        && http.send("DELETE", mp, "/models/intent/" + version, null).statusCode() == 200;
                synchronized (this) {
                    if (ok) swaps++;
                    else failures++;
                }
                if (ok) version = next;
            } catch (Exception e) {
                synchronized (this) {
                    failures++;
                }
            }
        }
    }

    /** Stops swapping; returns the number of completed swaps. */
    int stop() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join();
        synchronized (this) {
            return swaps;
        }
    }

    synchronized int failures() {
        return failures;
    }
}
