package ai.infer4j.monitor.capture;

import ai.infer4j.engine.task.Prediction;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes captured events as JSON lines on its own thread ({@code infer4j-capture-writer}).
 *
 * <p>{@link #offer} never blocks and never does I/O: it puts the event in a bounded queue, or drops it and
 * counts the drop when the queue is full. The writer drains the queue every few milliseconds and appends
 * each batch to {@code dir/{model}/{version}/yyyy/MM/dd/HH/part-{start}-{pid}.jsonl} (UTC hours) with one
 * {@code write} of whole lines, then flushes; a reader ({@link CaptureReader}) ignores a final line without
 * its newline, so a crash can never show it half a line. {@link #close()} writes what is queued and closes
 * the files. {@link #offer}, {@link #sample} and {@link #newEventId} are safe for concurrent callers.
 */
public final class CaptureWriter implements AutoCloseable {
    /** Receives every written observation on the writer thread (live drift); must be quick. */
    @FunctionalInterface
    public interface Listener {
        void observed(String model, String version, Observation observation);
    }

    private static final Logger log = LoggerFactory.getLogger(CaptureWriter.class);
    private static final long IDLE_PARK_NANOS = 5_000_000L;
    private static final int MAX_BATCH = 4096;
    private static final int TOP_K = 5;
    private static final DateTimeFormatter HOUR_DIR = DateTimeFormatter.ofPattern("yyyy/MM/dd/HH").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);

    private final CaptureConfig config;
    private final Clock clock;
    private final List<Listener> listeners;
    private final ArrayBlockingQueue<CaptureEvent> queue;
    private final LongAdder dropped = new LongAdder();
    private final LongAdder written = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final Map<Path, OutputStream> open = new LinkedHashMap<>();
    private final Map<Integer, EmbeddingSketch> sketches = new HashMap<>();
    private final JsonFactory json = new JsonFactory();
    private final String partName;
    private final Thread thread;
    private volatile boolean closing;
    private boolean closed;

    private CaptureWriter(CaptureConfig config, Clock clock, List<Listener> listeners) {
        this.config = config;
        this.clock = clock;
        this.listeners = List.copyOf(listeners);
        this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
        this.partName = "part-" + STAMP.format(clock.instant()) + "-" + ProcessHandle.current().pid() + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000)) + ".jsonl";
        this.thread = config.enabled() ? new Thread(this::run, "infer4j-capture-writer") : null;
        if (thread != null) thread.setDaemon(true);
    }

    /** Starts a writer (no thread when the config captures nothing). */
    public static CaptureWriter start(CaptureConfig config, Clock clock, List<Listener> listeners) {
        CaptureWriter w = new CaptureWriter(config, clock, listeners);
        if (w.thread != null) {
            w.thread.start();
            log.info("capturing to {} ({}% by default, per model {})", config.dir().toAbsolutePath(), config.percent(), config.perModel());
        }
        return w;
    }

    public CaptureConfig config() {
        return config;
    }

    /** Decides, before any work is done, whether this request of {@code model} is captured. Lock-free. */
    public boolean sample(String model) {
        if (thread == null || closing) return false;
        double p = config.percentFor(model);
        return p >= 100 || p > 0 && ThreadLocalRandom.current().nextDouble() * 100 < p;
    }

    /** A fresh 96-bit random event id (24 hex characters). */
    public String newEventId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return hex(r.nextLong(), 16) + hex(r.nextInt(), 8);
    }

    /** The writer's clock, epoch milliseconds (event times). */
    public long nowMillis() {
        return clock.millis();
    }

    /** Queues an event; false (and counted as dropped) when the queue is full or the writer is closing. Never blocks. */
    public boolean offer(CaptureEvent e) {
        if (thread == null || closing || !queue.offer(e)) {
            dropped.increment();
            return false;
        }
        return true;
    }

    /** Events dropped because the queue was full (or the writer closed). */
    public long dropped() {
        return dropped.sum();
    }

    /** Events written to disk. */
    public long written() {
        return written.sum();
    }

    /** Events lost to I/O errors (logged). */
    public long failed() {
        return failed.sum();
    }

    private void run() {
        List<CaptureEvent> batch = new ArrayList<>(256);
        while (true) {
            boolean last = closing; // read before draining: after close() nothing new enters the queue
            queue.drainTo(batch, MAX_BATCH);
            if (!batch.isEmpty()) {
                write(batch);
                batch.clear();
            } else if (last) {
                break;
            } else {
                LockSupport.parkNanos(this, IDLE_PARK_NANOS);
            }
        }
        closeFiles();
    }

    private void write(List<CaptureEvent> batch) {
        Map<Path, ByteArrayOutputStream> byFile = new LinkedHashMap<>();
        Map<Path, Integer> counts = new HashMap<>();
        for (CaptureEvent e : batch) {
            Path dir = config.dir().resolve(safe(e.model())).resolve(safe(e.version())).resolve(HOUR_DIR.format(Instant.ofEpochMilli(e.timeMillis())));
            Path file = dir.resolve(partName);
            ByteArrayOutputStream buf = byFile.computeIfAbsent(file, f -> new ByteArrayOutputStream(8192));
            Observation o = observation(e);
            try {
                writeLine(buf, e, o);
            } catch (IOException | RuntimeException ex) {
                failed.increment();
                log.warn("capture: cannot encode event {} of {}: {}", e.eventId(), e.model(), ex.toString());
                continue;
            }
            counts.merge(file, 1, Integer::sum);
            for (Listener l : listeners) {
                try {
                    l.observed(e.model(), e.version(), o);
                } catch (RuntimeException ex) {
                    log.warn("capture listener failed on {}: {}", e.model(), ex.toString());
                }
            }
        }
        for (var entry : byFile.entrySet()) {
            Path file = entry.getKey();
            int n = counts.getOrDefault(file, 0);
            try {
                OutputStream out = open.get(file);
                if (out == null) {
                    Files.createDirectories(file.getParent());
                    out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
                    open.put(file, out);
                }
                entry.getValue().writeTo(out); // whole lines in one write
                out.flush();
                written.add(n);
            } catch (IOException ex) {
                failed.add(n);
                log.warn("capture: cannot write {} events to {}: {}", n, file, ex.toString());
            }
        }
        // files of earlier hours are finished: keep only the ones this batch used
        if (open.size() > byFile.size() + 8) {
            for (Iterator<Map.Entry<Path, OutputStream>> it = open.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (byFile.containsKey(e.getKey())) continue;
                closeQuietly(e.getKey(), e.getValue());
                it.remove();
            }
        }
    }

    private Observation observation(CaptureEvent e) {
        Prediction p = e.prediction();
        float[] sketch = null;
        if (config.sketchDim() > 0 && e.vector() != null)
            sketch = sketches.computeIfAbsent(e.vector().length, n -> new EmbeddingSketch(config.sketchDim(), n)).apply(e.vector());
        return new Observation(e.eventId(), e.timeMillis(), p == null ? null : p.label(), p == null ? Double.NaN : p.score(),
                e.tokenCount(), e.truncated(), e.unknownCount(), sketch, null, p == null ? Double.NaN : p.novelty());
    }

    private void writeLine(ByteArrayOutputStream buf, CaptureEvent e, Observation o) throws IOException {
        try (JsonGenerator g = json.createGenerator(buf, JsonEncoding.UTF8)) {
            g.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
            g.writeStartObject();
            g.writeStringField("event_id", e.eventId());
            g.writeStringField("time", Instant.ofEpochMilli(e.timeMillis()).toString());
            g.writeStringField("model", e.model());
            g.writeStringField("version", e.version());
            g.writeObjectFieldStart("input");
            g.writeStringField("text", e.text());
            if (e.textPair() != null) g.writeStringField("text_pair", e.textPair());
            g.writeEndObject();
            g.writeObjectFieldStart("output");
            if (e.prediction() != null) {
                g.writeStringField("label", o.label());
                g.writeNumberField("score", round(o.score()));
                g.writeArrayFieldStart("top");
                for (var t : e.prediction().top(TOP_K).entrySet()) {
                    g.writeStartObject();
                    g.writeStringField("label", t.getKey());
                    g.writeNumberField("score", round(t.getValue()));
                    g.writeEndObject();
                }
                g.writeEndArray();
                if (Double.isFinite(o.novelty())) g.writeNumberField("novelty", round(o.novelty()));
            }
            g.writeEndObject();
            g.writeNumberField("latency_ms", e.latencyMicros() / 1000.0);
            g.writeNumberField("tokens", e.tokenCount());
            g.writeBooleanField("truncated", e.truncated());
            g.writeNumberField("unknown_tokens", e.unknownCount());
            if (o.sketch() != null) {
                g.writeArrayFieldStart("sketch");
                for (float v : o.sketch()) g.writeNumber(round(v));
                g.writeEndArray();
            }
            g.writeEndObject();
        }
        buf.write('\n');
    }

    private static double round(double v) {
        return Math.round(v * 1e5) / 1e5;
    }

    static String safe(String s) {
        String t = s == null || s.isEmpty() ? "_" : s.replaceAll("[^A-Za-z0-9_.-]", "_");
        return t.equals(".") || t.equals("..") ? "_" : t;
    }

    private static String hex(long v, int digits) {
        String h = Long.toHexString(v);
        if (digits < 16) h = Long.toHexString(v & ((1L << (4 * digits)) - 1));
        return "0".repeat(Math.max(0, digits - h.length())) + h;
    }

    private void closeFiles() {
        open.forEach(CaptureWriter::closeQuietly);
        open.clear();
    }

    private static void closeQuietly(Path file, OutputStream out) {
        try {
            out.close();
        } catch (IOException e) {
            log.warn("capture: cannot close {}: {}", file, e.toString());
        }
    }

    /** Stops taking events, writes everything queued, closes the files. Idempotent; waits for the writer thread. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        closing = true;
        if (thread == null) return;
        LockSupport.unpark(thread);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // an offer that raced with close() may have landed after the writer's last drain: write it here
        List<CaptureEvent> rest = new ArrayList<>();
        queue.drainTo(rest);
        if (!rest.isEmpty() && !thread.isAlive()) {
            write(rest);
            closeFiles();
        }
        log.info("capture writer closed: {} events written, {} dropped, {} failed", written(), dropped(), failed());
    }
}
