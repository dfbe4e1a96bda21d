package ai.infer4j.cli;

/**
 * SIGTERM and SIGINT handling: run a graceful stop and exit 0 (a plain shutdown hook would make the
 * JVM exit 143). Uses {@code sun.misc.Signal}, the only JDK way; if it is unavailable, the shutdown
 * hook still drains.
 */
final class Signals {
    private Signals() {
    }

    @SuppressWarnings("removal")
    static void onTerminate(Runnable action) {
        try {
            for (String name : new String[] {"TERM", "INT"})
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> new Thread(action, "infer4j-signal-" + name).start());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // no signal support on this platform: the shutdown hook handles it
        }
    }
}
