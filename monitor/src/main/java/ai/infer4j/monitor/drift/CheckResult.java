package ai.infer4j.monitor.drift;

import java.util.List;

/**
 * The result of comparing one capture window with a baseline.
 *
 * @param n          events in the window
 * @param labelled   events with a joined true label
 * @param fromMillis time of the first event (epoch ms; 0 when unknown)
 * @param toMillis   time of the last event
 * @param signals    one verdict per signal, in a fixed order
 * @param drift      the family decision over the drift signals (Holm)
 * @param quality    the decision over accuracy and macro-F1 (confidence intervals)
 */
public record CheckResult(int n, int labelled, long fromMillis, long toMillis, List<SignalResult> signals, Family drift, Family quality) {
    /**
     * A decision over a family of signals.
     *
     * @param method  how the family's error rate is controlled
     * @param alpha   the family's error rate
     * @param tested  signals judged in this window
     * @param skipped signals not judged (too few events or labels, or not applicable)
     * @param alarm   true when any signal of the family is violated
     */
    public record Family(String method, double alpha, int tested, int skipped, boolean alarm) { }

    public CheckResult {
        signals = List.copyOf(signals);
    }

    /** True when the drift family or the quality family raises an alarm. */
    public boolean alarm() {
        return drift.alarm() || quality.alarm();
    }

    /** True when no signal could be judged (the window is too small, or has nothing to test). */
    public boolean tooSmall() {
        return drift.tested() == 0 && quality.tested() == 0;
    }

    public List<SignalResult> violations() {
        return signals.stream().filter(SignalResult::violated).toList();
    }

    public SignalResult signal(String name) {
        return signals.stream().filter(s -> s.signal().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no signal " + name));
    }
}
