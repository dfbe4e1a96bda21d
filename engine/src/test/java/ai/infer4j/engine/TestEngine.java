package ai.infer4j.engine;

import ai.infer4j.engine.config.EngineOptions;
import java.nio.file.Path;

/** One engine with the embedded backbone shared by all tests in this JVM (loading it takes ~1 s). */
public final class TestEngine {
    private static Engine engine;

    private TestEngine() {
    }

    public static EngineOptions options() {
        return EngineOptions.defaults().withIntraOpThreads(2).withCacheDir(Path.of("target", "test-cache").toAbsolutePath());
    }

    public static synchronized Engine get() {
        if (engine == null) engine = Engine.create(options());
        return engine;
    }
}
