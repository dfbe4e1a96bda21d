package ai.infer4j.cli;

import ai.infer4j.engine.config.EngineOptions;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Engine flags shared by commands that run a model. */
final class EngineFlags {
    @Option(names = "--threads", description = "ONNX Runtime intra-op threads (default: all cores)")
    Integer threads;

    @Option(names = "--max-length", description = "tokens per input incl. special tokens (default: ${DEFAULT-VALUE})", defaultValue = "128")
    int maxLength;

    @Option(names = "--no-truncate", description = "refuse over-long input instead of truncating it")
    boolean noTruncate;

    @Option(names = "--device", description = "cpu or cuda (default: ${DEFAULT-VALUE})", defaultValue = "cpu")
    String device;

    @Option(names = "--cache-dir", description = "extracted archives and embedding caches (default: ~/.cache/infer4j)")
    Path cacheDir;

    EngineOptions options() {
        EngineOptions o = EngineOptions.defaults().withMaxLength(maxLength).withTruncate(!noTruncate).withDevice(device);
        if (threads != null) o = o.withIntraOpThreads(threads);
        if (cacheDir != null) o = o.withCacheDir(cacheDir);
        return o;
    }
}
