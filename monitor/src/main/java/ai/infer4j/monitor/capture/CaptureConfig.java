package ai.infer4j.monitor.capture;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Data-capture settings of a server.
 *
 * @param dir            root of the capture tree ({@code dir/{model}/{version}/yyyy/MM/dd/HH/part-*.jsonl})
 * @param percent        share of requests captured, 0..100, for models without an override
 * @param perModel       per-model share, 0..100 (config key {@code capture_percent.<model>})
 * @param queueCapacity  events buffered for the writer thread; beyond that events are dropped and counted
 * @param sketchDim      dimensions of the pooled-embedding sketch stored per event (0: none)
 * @param driftWindow    events per model in the live drift window (0: no live drift scores)
 * @param baselines      per-model baseline directory for the live drift scores (config key
 *                       {@code drift_baseline.<model>}); a model without one is compared with its first window
 */
public record CaptureConfig(Path dir, double percent, Map<String, Double> perModel, int queueCapacity, int sketchDim,
                            int driftWindow, Map<String, Path> baselines) {
    public static final Path DEFAULT_DIR = Path.of("capture");

    public CaptureConfig {
        Objects.requireNonNull(dir, "dir");
        perModel = Map.copyOf(perModel);
        baselines = Map.copyOf(baselines);
        checkPercent("capture_percent", percent);
        perModel.forEach((m, p) -> checkPercent("capture_percent." + m, p));
        if (queueCapacity < 1) throw new IllegalArgumentException("capture_queue_size must be >= 1, got " + queueCapacity);
        if (sketchDim < 0 || sketchDim > 256) throw new IllegalArgumentException("capture_sketch_dim must be 0..256, got " + sketchDim);
        if (driftWindow < 0) throw new IllegalArgumentException("drift_window must be >= 0, got " + driftWindow);
    }

    /** config.properties keys read by {@link #with}; the two ending in a dot take a model name after it. */
    public static final List<String> KEYS = List.of("capture_dir", "capture_percent", "capture_percent.", "capture_queue_size",
            "capture_sketch_dim", "drift_window", "drift_baseline.");

    /** True for a key of {@link #KEYS}, including per-model ones such as {@code capture_percent.intent}. */
    public static boolean accepts(String key) {
        if (KEYS.contains(key) && !key.endsWith(".")) return true;
        for (String k : KEYS) if (k.endsWith(".") && key.startsWith(k) && key.length() > k.length()) return true;
        return false;
    }

    /** This config with the capture keys of {@code p} applied (relative paths resolve against {@code base}). */
    public CaptureConfig with(Properties p, Path base) {
        Path d = p.containsKey("capture_dir") ? resolve(base, p.getProperty("capture_dir")) : dir;
        double pct = p.containsKey("capture_percent") ? number(p, "capture_percent") : percent;
        Map<String, Double> models = new LinkedHashMap<>(perModel);
        Map<String, Path> bases = new LinkedHashMap<>(baselines);
        for (String k : p.stringPropertyNames()) {
            if (k.startsWith("capture_percent.")) models.put(k.substring("capture_percent.".length()), number(p, k));
            if (k.startsWith("drift_baseline.")) bases.put(k.substring("drift_baseline.".length()), resolve(base, p.getProperty(k)));
        }
        int q = p.containsKey("capture_queue_size") ? (int) number(p, "capture_queue_size") : queueCapacity;
        int sk = p.containsKey("capture_sketch_dim") ? (int) number(p, "capture_sketch_dim") : sketchDim;
        int w = p.containsKey("drift_window") ? (int) number(p, "drift_window") : driftWindow;
        return new CaptureConfig(d, pct, models, q, sk, w, bases);
    }

    private static double number(Properties p, String key) {
        String v = p.getProperty(key).trim();
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + v + "'");
        }
    }

    private static Path resolve(Path base, String v) {
        Path p = Path.of(v.trim());
        return p.isAbsolute() || base == null ? p : base.resolve(p);
    }

    /** Capture off: nothing sampled, no writer thread. */
    public static CaptureConfig disabled() {
        return new CaptureConfig(DEFAULT_DIR, 0, Map.of(), 10_000, EmbeddingSketch.DEFAULT_DIM, 1_000, Map.of());
    }

    /** True when some model may be captured. */
    public boolean enabled() {
        return percent > 0 || perModel.values().stream().anyMatch(p -> p > 0);
    }

    /** The share of {@code model}'s requests to capture, 0..100. */
    public double percentFor(String model) {
        Double p = perModel.get(model);
        return p != null ? p : percent;
    }

    public CaptureConfig withDir(Path d) {
        return new CaptureConfig(d, percent, perModel, queueCapacity, sketchDim, driftWindow, baselines);
    }

    public CaptureConfig withPercent(double p, Map<String, Double> models) {
        return new CaptureConfig(dir, p, models, queueCapacity, sketchDim, driftWindow, baselines);
    }

    public CaptureConfig withQueueCapacity(int q) {
        return new CaptureConfig(dir, percent, perModel, q, sketchDim, driftWindow, baselines);
    }

    private static void checkPercent(String key, double p) {
        if (!(p >= 0 && p <= 100)) throw new IllegalArgumentException(key + " must be 0..100, got " + p);
    }
}
