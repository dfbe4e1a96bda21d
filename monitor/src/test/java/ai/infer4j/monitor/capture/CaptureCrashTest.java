package ai.infer4j.monitor.capture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class CaptureCrashTest {
    /** kill -9 while capturing: every event reported flushed is on disk, and no line is corrupt. */
    @Test
    void killMinus9LosesNoFlushedLineAndLeavesNoCorruptLine(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), CaptureCrashChild.class.getName(),
                dir.toString()).redirectErrorStream(true).start();
        long flushed = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("written ")) flushed = Long.parseLong(line.substring(8));
                if (flushed >= 20_000) break;
            }
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no close, no final flush
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(flushed).as("events the child saw flushed before the kill").isGreaterThanOrEqualTo(20_000);
        var read = CaptureReader.read(dir, null, null);
        assertThat(read.badLines()).as("corrupt lines").isZero();
        assertThat((long) read.observations().size()).isGreaterThanOrEqualTo(flushed);
    }
}
