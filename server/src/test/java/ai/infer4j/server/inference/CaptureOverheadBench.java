package ai.infer4j.server.inference;

import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Request;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.tokenize.Tokens;
import ai.infer4j.monitor.capture.CaptureConfig;
import ai.infer4j.monitor.capture.CaptureWriter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Capture overhead benchmark (not a unit test; run by scripts/capture-overhead.sh): the time the request
 * path spends on capture (sampling decision + building the events + offering them to the writer's queue)
 * at a paced rate while the writer thread writes the JSON lines to disk, with the intent model's shapes
 * (151 labels, 384-d pooled vector). Prints percentiles in microseconds.
 *
 * <pre>java -cp ... ai.infer4j.server.inference.CaptureOverheadBench [rate=1000] [seconds=30] [dir]</pre>
 */
public final class CaptureOverheadBench {
    public static void main(String[] args) throws Exception {
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Path dir = args.length > 2 ? Path.of(args[2]) : Files.createTempDirectory("capture-bench");
        SplittableRandom r = new SplittableRandom(1);
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 151; i++) labels.add("intent_" + i);
        CaptureConfig cfg = CaptureConfig.disabled().withDir(dir).withPercent(100, Map.of());
        int n = rate * seconds, warm = Math.min(n / 5, 5 * rate);
        long[] took = new long[n];
        try (CaptureWriter w = CaptureWriter.start(cfg, Clock.systemUTC(), List.of())) {
            long interval = 1_000_000_000L / rate, next = System.nanoTime();
            for (int i = -warm; i < n; i++) {
                float[] p = new float[151];
                p[r.nextInt(151)] = 0.9f;
                float[] v = new float[384];
                for (int j = 0; j < v.length; j++) v[j] = (float) r.nextDouble();
                Answer a = new Answer.Classified(new Prediction("intent_3", 0.9, labels, p), null,
                        new Tokens(new long[12], new long[12], false, 0), v);
                Request in = Request.of("what is my account balance " + i);
                long start = System.nanoTime();
                // the request path's capture work, exactly as InferenceService.predict does it
                String id = CaptureHook.sample(w, "intent");
                if (id != null) CaptureHook.record(w, id, "intent", "1", in, List.of(a), start - 3_000_000);
                long t = System.nanoTime() - start;
                if (i >= 0) took[i] = t;
                next += interval;
                long wait = next - System.nanoTime();
                if (wait > 0) LockSupport.parkNanos(wait);
            }
            w.close();
            Arrays.sort(took);
            System.out.printf("capture hook at %d req/s for %d s (%d events after %d warm-up): p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us; "
                            + "written %d, dropped %d%n", rate, seconds, n, warm, took[n / 2] / 1e3, took[(int) (n * 0.99)] / 1e3,
                    took[(int) (n * 0.999)] / 1e3, took[n - 1] / 1e3, w.written(), w.dropped());
        }
    }
}
