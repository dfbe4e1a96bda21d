package ai.infer4j.cli;

import ai.infer4j.engine.handler.HandlerListener;
import ai.infer4j.engine.handler.Handlers;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The plugins directory, for commands that load models which may name a custom handler. */
final class HandlerFlags {
    @Option(names = "--plugins-dir", description = "directory of handler jars that archives may name (default: none)")
    Path pluginsDir;

    /** The installed handlers (none without {@code --plugins-dir}); close after the engine. */
    Handlers load() {
        return pluginsDir == null ? Handlers.none()
                : Handlers.load(pluginsDir, Math.max(2, Runtime.getRuntime().availableProcessors()), 1024, HandlerListener.NONE);
    }
}
