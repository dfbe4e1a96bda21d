package ai.infer4j.monitor.capture;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/** Child process for {@link CaptureCrashTest}: captures as fast as it can and reports how many events are flushed. */
public final class CaptureCrashChild {
    private CaptureCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        CaptureWriter w = CaptureWriter.start(CaptureWriterTest.config(Path.of(args[0]), 100_000), Clock.systemUTC(), List.of());
        long last = 0;
        for (int i = 0; ; i++) {
            w.offer(CaptureWriterTest.event(w, "intent", i));
            if ((i & 255) == 0) {
                long now = w.written();
                if (now != last) {
                    System.out.println("written " + now);
                    System.out.flush();
                    last = now;
                }
                Thread.onSpinWait();
            }
        }
    }
}
