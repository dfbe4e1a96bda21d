package ai.infer4j.cli;

import ai.infer4j.engine.Progress;

import java.io.PrintStream;

/** Draws engine progress as one updating line on stderr: stage, bar, percent, rate and time left. */
final class ProgressBar implements Progress {
    private static final long REDRAW_NANOS = 200_000_000L;
    private final PrintStream out;
    private String stage;
    private long stageStart;
    private long lastDraw;

    ProgressBar(PrintStream out) {
        this.out = out;
    }

    @Override
    public synchronized void update(String stage, long done, long total) {
        long now = System.nanoTime();
        if (!stage.equals(this.stage)) {
            if (this.stage != null) out.println();
            this.stage = stage;
            stageStart = now;
            lastDraw = 0;
        }
        boolean finished = done >= total;
        if (!finished && now - lastDraw < REDRAW_NANOS) return;
        lastDraw = now;
        double frac = total == 0 ? 1 : Math.min(1, (double) done / total);
        int width = 30;
        int filled = (int) Math.round(frac * width);
        double secs = (now - stageStart) / 1e9;
        double rate = secs > 0 ? done / secs : 0;
        String eta = rate > 0 && !finished ? String.format(" eta %.0fs", (total - done) / rate) : String.format(" %.1fs", secs);
        out.printf("\r%-14s [%s%s] %3.0f%% %d/%d %.0f/s%s   ", stage, "#".repeat(filled), ".".repeat(width - filled),
                frac * 100, done, total, rate, eta);
        if (finished) {
            out.println();
            this.stage = null;
        }
        out.flush();
    }
}
