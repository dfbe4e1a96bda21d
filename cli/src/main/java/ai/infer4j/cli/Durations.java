package ai.infer4j.cli;

import java.time.Duration;
import java.util.Locale;

/** Parses human durations: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1.5s}; a bare number is seconds. */
final class Durations {
    private Durations() {
    }

    static Duration parse(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.endsWith("ms")) return Duration.ofNanos((long) (Double.parseDouble(v.substring(0, v.length() - 2)) * 1e6));
            if (v.endsWith("s")) return Duration.ofNanos((long) (Double.parseDouble(v.substring(0, v.length() - 1)) * 1e9));
            if (v.endsWith("m")) return Duration.ofNanos((long) (Double.parseDouble(v.substring(0, v.length() - 1)) * 60e9));
            return Duration.ofNanos((long) (Double.parseDouble(v) * 1e9));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a duration: '" + s + "' (use e.g. 500ms, 30s, 2m)");
        }
    }

    /** Milliseconds of a duration string, e.g. {@code 10ms} → 10.0. */
    static double millis(String s) {
        return parse(s).toNanos() / 1e6;
    }
}
