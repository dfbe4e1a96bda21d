package ai.infer4j.bench.stress;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Samples this process's resident memory and used heap once a second on a daemon thread, until stopped. */
final class MemorySampler {
    private final List<Long> rss = new ArrayList<>();
    private final List<Long> heap = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    MemorySampler() {
        thread = new Thread(() -> {
            while (running) {
                sample();
                try {
                    Thread.sleep(1000); // sampling period
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "infer4j-selftest-memory");
        thread.setDaemon(true);
        thread.start();
    }

    private synchronized void sample() {
        rss.add(rssMb());
        heap.add(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20);
    }

    void stop() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join();
        sample();
    }

    synchronized long maxRssMb() {
        return rss.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    synchronized long maxHeapMb() {
        return heap.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /** About ten evenly spaced samples, for a report. */
    synchronized List<Long> rssSamples() {
        return thin(rss);
    }

    synchronized List<Long> heapSamples() {
        return thin(heap);
    }

    private static List<Long> thin(List<Long> all) {
        List<Long> out = new ArrayList<>();
        int step = Math.max(1, all.size() / 10);
        for (int i = 0; i < all.size(); i += step) out.add(all.get(i));
        return out;
    }

    static long rssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) >> 10;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
