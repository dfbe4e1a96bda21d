package ai.infer4j.monitor.drift;

import java.util.Map;

/**
 * The verdict on one monitored signal for one capture window.
 *
 * @param signal    e.g. {@code class_distribution}, {@code confidence}, {@code input_length}
 * @param status    what the check concluded
 * @param statistic name of the main statistic ({@code js}, {@code ks_d}, {@code delta}, {@code mmd2}, ...)
 * @param value     its value in this window
 * @param p         p-value of the test, or NaN when the signal has none
 * @param baseline  the baseline's value of the monitored quantity (rate, accuracy, ...), or NaN
 * @param window    the window's value of it, or NaN
 * @param rule      the rule applied, in words (e.g. {@code "p < 0.001 and D >= 0.1"})
 * @param extra     further numbers for the report (PSI, sample sizes, ...)
 */
public record SignalResult(String signal, Status status, String statistic, double value, double p, double baseline, double window,
                           String rule, Map<String, Double> extra) {
    /** Outcome of a signal's check. */
    public enum Status { OK, VIOLATION, INSUFFICIENT_DATA, NOT_APPLICABLE }

    public SignalResult {
        extra = Map.copyOf(extra);
    }

    public boolean violated() {
        return status == Status.VIOLATION;
    }
}
