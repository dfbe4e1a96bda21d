package ai.infer4j.monitor.drift;

import java.util.Map;

/**
 * The verdict on one monitored signal for one capture window.
 *
 * @param signal    e.g. {@code class_distribution}, {@code confidence}, {@code input_length}
 * @param status    what the check concluded
 * @param statistic name of the main statistic ({@code js}, {@code ks_d}, {@code delta}, {@code mmd2}, ...)
 * @param value     its value in this window (the effect judged against the minimum effect)
 * @param p         p-value of the signal's own test, or NaN when it has none
 * @param pAdjusted Holm-adjusted p-value within the drift family (NaN for quality signals and untested ones)
 * @param baseline  the baseline's value of the monitored quantity (rate, accuracy, ...), or NaN
 * @param window    the window's value of it, or NaN
 * @param rule      the rule applied, in words
 * @param decision  why the status is what it is, in words (e.g. {@code "Holm p 2.1e-04 < 0.01 and D 0.31 >= 0.1"})
 * @param extra     further numbers for the report (PSI, sample sizes, interval bounds, ...)
 */
public record SignalResult(String signal, Status status, String statistic, double value, double p, double pAdjusted, double baseline,
                           double window, String rule, String decision, Map<String, Double> extra) {
    /** Outcome of a signal's check. */
    public enum Status { OK, VIOLATION, INSUFFICIENT_DATA, NOT_APPLICABLE }

    public SignalResult {
        extra = Map.copyOf(extra);
        if (decision == null) decision = "";
    }

    public boolean violated() {
        return status == Status.VIOLATION;
    }

    /** True when the signal was judged (ok or violation), not skipped for lack of data or applicability. */
    public boolean judged() {
        return status == Status.OK || status == Status.VIOLATION;
    }

    SignalResult with(Status s, double pAdj, String why) {
        return new SignalResult(signal, s, statistic, value, p, pAdj, baseline, window, rule, why, extra);
    }
}
