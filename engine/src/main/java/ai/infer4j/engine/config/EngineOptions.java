package ai.infer4j.engine.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How the engine runs models.
 *
 * @param intraOpThreads threads ONNX Runtime may use inside one forward pass (>= 1)
 * @param maxLength      tokens per sequence, special tokens included; longer input is truncated or refused
 * @param truncate       true: cut long input at {@code maxLength} and report it; false: refuse it (422)
 * @param maxTextChars   longest text accepted, in characters, before tokenization
 * @param device         {@code cpu} or {@code cuda}
 * @param cacheDir       where extracted archives and embedding caches live
 */
public record EngineOptions(int intraOpThreads, int maxLength, boolean truncate, int maxTextChars,
                            String device, Path cacheDir) {
    public EngineOptions {
        if (intraOpThreads < 1) throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
        if (maxLength < 8) throw new IllegalArgumentException("maxLength must be >= 8, got " + maxLength);
        if (maxTextChars < 1) throw new IllegalArgumentException("maxTextChars must be >= 1, got " + maxTextChars);
        Objects.requireNonNull(device, "device");
        if (!device.equals("cpu") && !device.equals("cuda"))
            throw new IllegalArgumentException("device must be cpu or cuda, got '" + device + "'");
        Objects.requireNonNull(cacheDir, "cacheDir");
    }

    /** Sensible defaults: all cores for one session, 128 tokens, truncation on, cache under ~/.cache/infer4j. */
    public static EngineOptions defaults() {
        String home = System.getProperty("user.home", ".");
        return new EngineOptions(Runtime.getRuntime().availableProcessors(), 128, true, 20_000, "cpu",
                Path.of(home, ".cache", "infer4j"));
    }

    public EngineOptions withIntraOpThreads(int n) {
        return new EngineOptions(n, maxLength, truncate, maxTextChars, device, cacheDir);
    }

    public EngineOptions withTruncate(boolean t) {
        return new EngineOptions(intraOpThreads, maxLength, t, maxTextChars, device, cacheDir);
    }

    public EngineOptions withMaxLength(int n) {
        return new EngineOptions(intraOpThreads, n, truncate, maxTextChars, device, cacheDir);
    }

    public EngineOptions withDevice(String d) {
        return new EngineOptions(intraOpThreads, maxLength, truncate, maxTextChars, d, cacheDir);
    }

    public EngineOptions withCacheDir(Path dir) {
        return new EngineOptions(intraOpThreads, maxLength, truncate, maxTextChars, device, dir);
    }
}
