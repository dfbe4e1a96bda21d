package ai.infer4j.bench.load;

import ai.infer4j.bench.record.Outcome;
import java.time.Duration;
import java.util.Objects;

/**
 * How to load a target.
 *
 * @param ratePerSecond open loop: requests per second on a fixed schedule (ignored in closed loop)
 * @param concurrency   closed loop: clients that each send the next request when the last one is answered
 * @param warmup        sent but not measured, before {@code duration}
 * @param duration      measured time; the run stops by itself after it (or after {@code maxRequests})
 * @param maxRequests   measured requests to send at most, 0 for no limit
 * @param maxInFlight   open loop: requests outstanding at most; at the limit a request is not sent and counts as
 *                      {@link Outcome#DROPPED} (the schedule keeps going, so the stall still shows)
 * @param interval      length of one CSV row
 * @param timeout       per request
 */
public record LoadSpec(Mode mode, double ratePerSecond, int concurrency, Duration warmup, Duration duration, long maxRequests,
                       int maxInFlight, Duration interval, Duration timeout) {
    /** Open loop (fixed arrival rate, latency from intended send time) or closed loop (fixed clients). */
    public enum Mode { OPEN, CLOSED }

    public LoadSpec {
        Objects.requireNonNull(mode, "mode");
        if (mode == Mode.OPEN && !(ratePerSecond > 0)) throw new IllegalArgumentException("--rate must be > 0, got " + ratePerSecond);
        if (mode == Mode.CLOSED && concurrency < 1) throw new IllegalArgumentException("--concurrency must be >= 1, got " + concurrency);
        if (warmup.isNegative()) throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
        if (duration.isNegative() || duration.isZero()) throw new IllegalArgumentException("--duration must be > 0, got " + duration);
        if (maxRequests < 0) throw new IllegalArgumentException("--requests must be >= 0, got " + maxRequests);
        if (maxInFlight < 1) throw new IllegalArgumentException("--max-in-flight must be >= 1, got " + maxInFlight);
        if (interval.toMillis() < 10) throw new IllegalArgumentException("--interval must be >= 10ms, got " + interval);
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("--timeout must be > 0, got " + timeout);
    }

    public static LoadSpec open(double rate, Duration warmup, Duration duration) {
        return new LoadSpec(Mode.OPEN, rate, 0, warmup, duration, 0, 10_000, Duration.ofSeconds(1), Duration.ofSeconds(10));
    }

    public static LoadSpec closed(int concurrency, Duration warmup, Duration duration) {
        return new LoadSpec(Mode.CLOSED, 0, concurrency, warmup, duration, 0, concurrency, Duration.ofSeconds(1), Duration.ofSeconds(10));
    }

    public LoadSpec withInterval(Duration d) {
        return new LoadSpec(mode, ratePerSecond, concurrency, warmup, duration, maxRequests, maxInFlight, d, timeout);
    }

    public LoadSpec withTimeout(Duration d) {
        return new LoadSpec(mode, ratePerSecond, concurrency, warmup, duration, maxRequests, maxInFlight, interval, d);
    }

    public LoadSpec withMaxRequests(long n) {
        return new LoadSpec(mode, ratePerSecond, concurrency, warmup, duration, n, maxInFlight, interval, timeout);
    }

    public LoadSpec withMaxInFlight(int n) {
        return new LoadSpec(mode, ratePerSecond, concurrency, warmup, duration, maxRequests, n, interval, timeout);
    }

    public String describe() {
        return mode == Mode.OPEN ? String.format("open loop, %.0f req/s", ratePerSecond) : "closed loop, " + concurrency + " clients";
    }
}
