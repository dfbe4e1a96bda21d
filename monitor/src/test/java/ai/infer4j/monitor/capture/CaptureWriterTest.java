package ai.infer4j.monitor.capture;

import ai.infer4j.engine.task.Prediction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class CaptureWriterTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-03-04T05:06:07Z"), ZoneOffset.UTC);
    private static final Prediction P = new Prediction("b", 0.7, List.of("a", "b", "c"), new float[]{0.1f, 0.7f, 0.2f});

    static CaptureConfig config(Path dir, int capacity) {
        return CaptureConfig.disabled().withDir(dir).withPercent(100, Map.of()).withQueueCapacity(capacity);
    }

    static CaptureEvent event(CaptureWriter w, String model, int i) {
        float[] v = new float[8];
        v[i % 8] = 1;
        return new CaptureEvent(w.newEventId(), CLOCK.millis(), model, "1", "text " + i, null, P, v, 1234, 7, false, i % 3 == 0 ? 1 : 0);
    }

    @Test
    void concurrentProducersBelowCapacityLoseNothing(@TempDir Path dir) throws Exception {
        CaptureWriter w = CaptureWriter.start(config(dir, 50_000), CLOCK, List.of());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Set<String>>> ids = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            ids.add(pool.submit(() -> {
                Set<String> mine = new HashSet<>();
                for (int i = 0; i < 5_000; i++) {
                    CaptureEvent e = event(w, thread % 2 == 0 ? "intent" : "other", i);
                    if (!w.offer(e)) throw new AssertionError("dropped below capacity");
                    mine.add(e.eventId());
                }
                return mine;
            }));
        }
        Set<String> sent = new HashSet<>();
        for (Future<Set<String>> f : ids) sent.addAll(f.get(60, TimeUnit.SECONDS));
        pool.shutdown();
        w.close();

        assertThat(w.dropped()).isZero();
        assertThat(w.written()).isEqualTo(20_000);
        var read = CaptureReader.read(dir, null, null);
        assertThat(read.badLines()).isZero();
        assertThat(read.observations()).hasSize(20_000);
        Set<String> got = new HashSet<>();
        for (Observation o : read.observations()) got.add(o.eventId());
        assertThat(got).hasSize(20_000).isEqualTo(sent);
        assertThat(dir.resolve("intent/1/2025/03/04/05")).isDirectory();
        assertThat(dir.resolve("other/1/2025/03/04/05")).isDirectory();
        Observation o = read.observations().get(0);
        assertThat(o.label()).isEqualTo("b");
        assertThat(o.score()).isEqualTo(0.7, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(o.tokens()).isEqualTo(7);
        assertThat(o.sketch()).hasSize(EmbeddingSketch.DEFAULT_DIM);
        assertThat(o.novelty()).isNaN(); // P has no novelty score: no field written
    }

    @Test
    void theNoveltyScoreIsCapturedAndLinesWithoutItStillLoad(@TempDir Path dir) throws Exception {
        CaptureWriter w = CaptureWriter.start(config(dir, 100), CLOCK, List.of());
        Prediction scored = new Prediction("b", 0.7, List.of("a", "b", "c"), new float[]{0.1f, 0.7f, 0.2f}, 1.2345678);
        assertThat(w.offer(new CaptureEvent(w.newEventId(), CLOCK.millis(), "intent", "1", "hello", null, scored, null, 10, 3, false, 0)))
                .isTrue();
        w.close();
        List<Path> files;
        try (var s = Files.walk(dir)) {
            files = s.filter(f -> f.toString().endsWith(".jsonl")).toList();
        }
        String line = Files.readString(files.get(0));
        assertThat(line).contains("\"novelty\":1.23457");
        assertThat(CaptureReader.read(dir, null, null).observations().get(0).novelty()).isEqualTo(1.23457);
        // a line written before the field existed
        Path old = dir.resolve("old.jsonl");
        Files.writeString(old, line.replace(",\"novelty\":1.23457", ""));
        assertThat(Files.readString(old)).doesNotContain("novelty");
        Observation o = CaptureReader.read(old, null, null).observations().get(0);
        assertThat(o.novelty()).isNaN();
        assertThat(o.label()).isEqualTo("b");
    }

    @Test
    void fullQueueDropsAndCountsWithoutBlocking(@TempDir Path dir) throws Exception {
        CountDownLatch inWriter = new CountDownLatch(1), release = new CountDownLatch(1);
        CaptureWriter.Listener stall = (m, v, o) -> {
            inWriter.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        CaptureWriter w = CaptureWriter.start(config(dir, 10), CLOCK, List.of(stall));
        assertThat(w.offer(event(w, "intent", 0))).isTrue();
        assertThat(inWriter.await(30, TimeUnit.SECONDS)).isTrue(); // the writer holds event 0; the queue is empty
        for (int i = 1; i <= 10; i++) assertThat(w.offer(event(w, "intent", i))).isTrue();
        for (int i = 11; i <= 15; i++) assertThat(w.offer(event(w, "intent", i))).isFalse();
        assertThat(w.dropped()).isEqualTo(5);
        release.countDown();
        w.close();
        assertThat(w.written()).isEqualTo(11);
        assertThat(CaptureReader.read(dir, null, null).observations()).hasSize(11);
    }

    @Test
    void closeFlushesAndLaterOffersAreDropped(@TempDir Path dir) {
        CaptureWriter w = CaptureWriter.start(config(dir, 100), CLOCK, List.of());
        for (int i = 0; i < 50; i++) w.offer(event(w, "intent", i));
        w.close();
        w.close();
        assertThat(w.written()).isEqualTo(50);
        assertThat(w.offer(event(w, "intent", 99))).isFalse();
        assertThat(w.sample("intent")).isFalse();
    }

    @Test
    void readerSkipsAFinalLineWithoutNewlineAndCountsBadLines(@TempDir Path dir) throws Exception {
        CaptureWriter w = CaptureWriter.start(config(dir, 100), CLOCK, List.of());
        for (int i = 0; i < 3; i++) w.offer(event(w, "intent", i));
        w.close();
        Path part;
        try (Stream<Path> s = Files.walk(dir)) {
            part = s.filter(p -> p.getFileName().toString().startsWith("part-")).findFirst().orElseThrow();
        }
        Files.writeString(part, "not json\n{\"event_id\":\"x\",\"time\":\"2025-03-04T05:06:", StandardOpenOption.APPEND);
        var read = CaptureReader.read(dir, null, null);
        assertThat(read.observations()).hasSize(3);
        assertThat(read.badLines()).isEqualTo(1);
    }

    @Test
    void samplingHonoursPerModelPercent(@TempDir Path dir) {
        CaptureConfig c = CaptureConfig.disabled().withDir(dir).withPercent(0, Map.of("intent", 100.0, "half", 50.0));
        try (CaptureWriter w = CaptureWriter.start(c, CLOCK, List.of())) {
            int half = 0;
            for (int i = 0; i < 10_000; i++) {
                assertThat(w.sample("intent")).isTrue();
                assertThat(w.sample("other")).isFalse();
                if (w.sample("half")) half++;
            }
            assertThat(half).isBetween(4_500, 5_500);
        }
    }

    @Test
    void configKeysParseWithPerModelOverrides() {
        var p = new Properties();
        p.setProperty("capture_percent", "5");
        p.setProperty("capture_percent.intent", "100");
        p.setProperty("capture_dir", "cap");
        p.setProperty("drift_window", "200");
        CaptureConfig c = CaptureConfig.disabled().with(p, Path.of("/srv"));
        assertThat(c.percentFor("intent")).isEqualTo(100);
        assertThat(c.percentFor("embed")).isEqualTo(5);
        assertThat(c.dir()).isEqualTo(Path.of("/srv/cap"));
        assertThat(c.driftWindow()).isEqualTo(200);
        assertThat(CaptureConfig.accepts("capture_percent.intent")).isTrue();
        assertThat(CaptureConfig.accepts("capture_percent.")).isFalse();
        assertThat(CaptureConfig.accepts("capture_bogus")).isFalse();
    }
}
