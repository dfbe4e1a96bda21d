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
 */
public record CheckResult(int n, int labelled, long fromMillis, long toMillis, List<SignalResult> signals) {
    public CheckResult {
        signals = List.copyOf(signals);
    }

    /** True when any signal is violated. */
    public boolean alarm() {
        return signals.stream().anyMatch(SignalResult::violated);
    }

    public List<SignalResult> violations() {
        return signals.stream().filter(SignalResult::violated).toList();
    }

    public SignalResult signal(String name) {
        return signals.stream().filter(s -> s.signal().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no signal " + name));
    }
}
