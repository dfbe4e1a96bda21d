package ai.infer4j.monitor.drift;

import ai.infer4j.monitor.Synthetic;
import ai.infer4j.monitor.baseline.Constraints;
import ai.infer4j.monitor.baseline.BaselineStatistics;
import ai.infer4j.monitor.capture.Observation;
import ai.infer4j.monitor.drift.SignalResult.Status;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DriftCheckTest {
    private static final BaselineStatistics BASE = Synthetic.baseline(2000, 1);
    private static final Constraints C = Constraints.defaults();

    @Test
    void sameDistributionRaisesNoAlarm() {
        CheckResult r = DriftCheck.run(BASE, Synthetic.traffic(400, 0, 2), C);
        assertThat(r.alarm()).as("%s", r.signals()).isFalse();
        assertThat(r.signal("accuracy").window()).isCloseTo(0.9, within(0.05));
    }

    @Test
    void shiftedTrafficViolatesClassConfidenceLengthAndEmbedding() {
        CheckResult r = DriftCheck.run(BASE, Synthetic.traffic(400, 1, 3), C);
        assertThat(r.violations()).extracting(SignalResult::signal)
                .contains("class_distribution", "confidence", "input_length", "embedding");
    }

    @Test
    void smallWindowsAreInsufficientNotAlarms() {
        CheckResult r = DriftCheck.run(BASE, Synthetic.traffic(20, 1, 4), C);
        assertThat(r.alarm()).isFalse();
        assertThat(r.signal("confidence").status()).isEqualTo(Status.INSUFFICIENT_DATA);
    }

    @Test
    void classSignalReportsHandComputedPsiAndJs() {
        // baseline 2 a + 2 b; window 1 a + 3 b (minSamples lowered to 4)
        BaselineStatistics base = BaselineStatistics.of("toy", "1", "s", List.of("a", "b"),
                List.of(obs("a"), obs("a"), obs("b"), obs("b")), 0, 0, 1);
        SignalResult s = DriftCheck.classDistribution(base, List.of(obs("a"), obs("b"), obs("b"), obs("b")), C.withMinSamples(4));
        // JS((.5,.5), (.25,.75)) = 0.048795 bits
        assertThat(s.value()).isCloseTo(0.048795, within(1e-5));
        // PSI on Jeffreys-smoothed counts over a, b and the "unseen label" cell:
        // base (2.5, 2.5, 0.5) / 5.5, window (1.5, 3.5, 0.5) / 5.5
        // = (-2/11) ln(1.5/2.5) + (2/11) ln(3.5/2.5) = 0.092877 + 0.061177
        assertThat(s.extra().get("psi")).isCloseTo(0.154054, within(1e-6));
        assertThat(s.status()).isEqualTo(Status.OK); // 4 events: not significant
    }

    @Test
    void accuracyDropIsFlaggedWhenLabelsAreJoined() {
        List<Observation> wrong = Synthetic.traffic(200, 0, 5).stream()
                .map(o -> o.withTrueLabel(o.label().equals("a") ? "c" : o.label())).toList();
        CheckResult r = DriftCheck.run(BASE, wrong, C);
        assertThat(r.signal("accuracy").status()).isEqualTo(Status.VIOLATION);
        assertThat(r.signal("accuracy").baseline()).isCloseTo(0.9, within(0.02));
    }

    @Test
    void liveDriftScoresAppearAfterAReferenceAndAFullWindow() {
        LiveDrift live = new LiveDrift(100, Map.of());
        for (Observation o : Synthetic.traffic(200, 0, 6)) live.observed("toy", "1", o);
        double calm = live.scores().get("toy").get("class_js");
        for (Observation o : Synthetic.traffic(100, 1, 7)) live.observed("toy", "1", o);
        Map<String, Double> s = live.scores().get("toy");
        assertThat(s.get("class_js")).isGreaterThan(calm + 0.05);
        assertThat(s.get("confidence_ks")).isGreaterThan(0.9);
        assertThat(s).containsKeys("length_ks", "unknown_rate_delta", "truncation_rate_delta", "embedding_mahalanobis");
    }

    private static Observation obs(String label) {
        return new Observation(null, 0, label, 0.9, 5, false, 0, null, null);
    }
}
