package ai.infer4j.monitor.drift;

import ai.infer4j.monitor.Synthetic;
import ai.infer4j.monitor.baseline.BaselineStatistics;
import ai.infer4j.monitor.baseline.Constraints;
import ai.infer4j.monitor.capture.Observation;
import ai.infer4j.monitor.drift.SignalResult.Status;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
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
        assertThat(r.drift().tested()).isEqualTo(9);
        assertThat(r.signal("accuracy").window()).isCloseTo(0.9, within(0.05));
        assertThat(r.signal("accuracy").extra()).containsKeys("ci_low", "ci_high");
    }

    @Test
    void falseAlarmRateOfTheFamilyStaysAtItsAlpha() {
        // 60 independent windows of unchanged traffic, family alpha 0.05: expect about 3 alarms, allow up to 8
        Constraints c = new Constraints(100, 0.05, 0, 0.25, 0, 0, 999, 100, 50, 0.05, 0, 0, 200, 1, 0.95);
        int alarms = 0;
        for (int seed = 0; seed < 60; seed++)
            if (DriftCheck.run(BASE, Synthetic.traffic(200, 0, 100 + seed), c.withSeed(seed)).drift().alarm()) alarms++;
        assertThat(alarms).isLessThanOrEqualTo(8);
    }

    @Test
    void shiftedTrafficViolatesClassConfidenceLengthAndEmbeddingWithHolmPValues() {
        CheckResult r = DriftCheck.run(BASE, Synthetic.traffic(400, 1, 3), C);
        assertThat(r.violations()).extracting(SignalResult::signal)
                .contains("class_distribution", "confidence", "input_length", "embedding");
        assertThat(r.drift().alarm()).isTrue();
        for (SignalResult s : r.violations()) {
            if (!DriftCheck.DRIFT_SIGNALS.contains(s.signal())) continue;
            assertThat(s.pAdjusted()).isGreaterThanOrEqualTo(s.p()).isLessThan(C.familyAlpha());
            assertThat(s.decision()).startsWith("Holm p");
        }
    }

    @Test
    void aRiseInOutOfScopeAnswersIsItsOwnSignal() {
        // "c" plays the out-of-scope label; a tenth of the window is foreign traffic the model answers with it
        BaselineStatistics base = BASE.withOutOfScopeLabel("c");
        CheckResult calm = DriftCheck.run(base, Synthetic.traffic(600, 0, 21), C);
        assertThat(calm.drift().tested()).isEqualTo(10);
        assertThat(calm.signal("out_of_scope_rate").status()).isEqualTo(Status.OK);
        List<Observation> w = new ArrayList<>(Synthetic.traffic(540, 0, 22));
        for (int i = 0; i < 60; i++) w.add(new Observation("x" + i, 0, "c", 0.5, 9, false, 0, new float[] {0, 0, 0, 0}, null));
        SignalResult s = DriftCheck.run(base, w, C).signal("out_of_scope_rate");
        assertThat(s.value()).isCloseTo(0.28 - base.countOf("c") / (double) base.n(), within(0.04));
        assertThat(s.status()).as(s.decision()).isEqualTo(Status.VIOLATION);
        assertThat(s.rule()).contains("answered 'c'");
        // a baseline that does not know the out-of-scope label (older statistics.json) does not test it
        assertThat(DriftCheck.run(BASE, w, C).signal("out_of_scope_rate").status()).isEqualTo(Status.NOT_APPLICABLE);
    }

    @Test
    void aMinorityOfUnsureAnswersRaisesTheLowConfidenceShareNotKs() {
        // a tenth of the window answered with low confidence: KS D stays at about 0.1, the tail share goes from 5 % to 15 %
        List<Observation> w = new ArrayList<>(Synthetic.traffic(900, 0, 23));
        for (int i = 0; i < 100; i++) w.add(new Observation("u" + i, 0, "a", 0.5, 9, false, 0, new float[] {0, 0, 0, 0}, null));
        CheckResult r = DriftCheck.run(BASE, w, C);
        assertThat(r.signal("confidence").value()).isCloseTo(0.10, within(0.03));
        SignalResult s = r.signal("low_confidence_rate");
        assertThat(s.baseline()).isCloseTo(0.05, within(0.01));
        assertThat(s.window()).isCloseTo(0.145, within(0.02));
        assertThat(s.status()).as(s.decision()).isEqualTo(Status.VIOLATION);
        assertThat(DriftCheck.run(BASE, Synthetic.traffic(1000, 0, 24), C).signal("low_confidence_rate").status()).isEqualTo(Status.OK);
    }

    @Test
    void significantButTinyEffectsAreNotViolations() {
        // a huge window makes a small class-mix change significant; the minimum JS keeps it from alarming
        List<Observation> w = Synthetic.traffic(20_000, 0.03, 8);
        CheckResult r = DriftCheck.run(Synthetic.baseline(20_000, 9), w, C);
        SignalResult s = r.signal("class_distribution");
        assertThat(s.value()).isLessThan(C.classMinJs());
        assertThat(s.status()).isEqualTo(Status.OK);
    }

    @Test
    void smallWindowsAreTooSmallToJudgeNotAlarms() {
        CheckResult r = DriftCheck.run(BASE, Synthetic.traffic(20, 1, 4), C);
        assertThat(r.alarm()).isFalse();
        assertThat(r.tooSmall()).isTrue();
        assertThat(r.drift().tested()).isZero();
        assertThat(r.signal("confidence").status()).isEqualTo(Status.INSUFFICIENT_DATA);
        assertThat(r.signal("confidence").decision()).contains("too small", "20 events", "needs 100");
    }

    @Test
    void classSignalReportsHandComputedPsiAndJs() {
        // baseline 2 a + 2 b; window 1 a + 3 b (minSamples lowered to 4)
        BaselineStatistics base = BaselineStatistics.of("toy", "1", "s", List.of("a", "b"),
                List.of(obs("a"), obs("a"), obs("b"), obs("b")), 0, 0, 1);
        SignalResult s = DriftCheck.classDistribution(base, List.of(obs("a"), obs("b"), obs("b"), obs("b")), C.withMinSamples(4)).result();
        // JS((.5,.5), (.25,.75)) = 0.048795 bits
        assertThat(s.value()).isCloseTo(0.048795, within(1e-5));
        // PSI on Jeffreys-smoothed counts over a, b and the "unseen label" cell:
        // base (2.5, 2.5, 0.5) / 5.5, window (1.5, 3.5, 0.5) / 5.5
        // = (-2/11) ln(1.5/2.5) + (2/11) ln(3.5/2.5) = 0.092877 + 0.061177
        assertThat(s.extra().get("psi")).isCloseTo(0.154054, within(1e-6));
        // permutation p: every split of the 3 a + 5 b into two rows of 4 (1 or 2 a's in the window: chi-square 0.533,
        // 0 or 3: larger) is at least as extreme as the observed one, so p = 1
        assertThat(s.extra().get("chi_square")).isCloseTo(8.0 / 15, within(1e-9));
        assertThat(s.p()).isEqualTo(1.0);
    }

    @Test
    void accuracyDropIsFlaggedOnlyWhenTheIntervalIsBelowTheAcceptedDrop() {
        List<Observation> wrong = Synthetic.traffic(200, 0, 5).stream()
                .map(o -> o.withTrueLabel(o.label().equals("a") ? "c" : o.label())).toList();
        CheckResult r = DriftCheck.run(BASE, wrong, C);
        SignalResult acc = r.signal("accuracy");
        assertThat(acc.status()).isEqualTo(Status.VIOLATION);
        assertThat(acc.baseline()).isCloseTo(0.9, within(0.02));
        assertThat(acc.extra().get("ci_high")).isLessThan(-C.maxAccuracyDrop());
        assertThat(r.quality().alarm()).isTrue();

        // the same drop on 60 labelled events is measured with a wider interval (about sqrt(200 / 60) = 1.8 times)
        SignalResult small = DriftCheck.run(BASE, wrong.subList(0, 60), C).signal("accuracy");
        assertThat(small.extra().get("ci_high") - small.extra().get("ci_low"))
                .isGreaterThan(1.4 * (acc.extra().get("ci_high") - acc.extra().get("ci_low")));
    }

    @Test
    void macroF1OfASmallUnchangedWindowIsNotADrop() {
        // few events per class make a window's macro-F1 lower than a big baseline's; the size-matched interval allows for it
        CheckResult r = DriftCheck.run(BASE, Synthetic.traffic(60, 0, 12), C);
        assertThat(r.signal("macro_f1").status()).isEqualTo(Status.OK);
    }

    @Test
    void liveGaugesComeFromTheSameChecksAndSayWhenTooSmall() {
        // family alpha 0.05 keeps this fast (the check raises the 199 permutations to 399: the smallest p, 1/400, is half 0.05 / 10)
        Constraints c = new Constraints(100, 0.05, 0.05, 0.25, 0.10, 0.02, 199, 100, 50, 0.05, 0.02, 0.05, 200, 42, 0.95);
        LiveDrift live = new LiveDrift(200, Map.of("toy", BASE), c, Runnable::run);
        List<Observation> calmTraffic = Synthetic.traffic(200, 0, 7);
        for (Observation o : calmTraffic.subList(0, 50)) live.observed("toy", "1", o);
        assertThat(live.scores().get("toy")).containsEntry("judged", 0.0).containsEntry("window_events", 50.0)
                .containsEntry("needed_events", 100.0);
        for (Observation o : calmTraffic.subList(50, 200)) live.observed("toy", "1", o);
        Map<String, Double> calm = live.scores().get("toy");
        assertThat(calm).containsEntry("judged", 1.0).containsEntry("alarm", 0.0).containsKeys("class_distribution_p_holm")
                .containsEntry("confidence_judged", 1.0).containsEntry("unfamiliarity_judged", 1.0);
        // one implementation: the gauges are the batch check of the same window
        CheckResult batch = DriftCheck.run(BASE, calmTraffic, c);
        assertThat(calm.get("confidence")).isEqualTo(batch.signal("confidence").value());
        assertThat(calm.get("embedding_p_holm")).isEqualTo(batch.signal("embedding").pAdjusted());
        for (Observation o : Synthetic.traffic(200, 1, 9)) live.observed("toy", "1", o);
        Map<String, Double> s = live.scores().get("toy");
        assertThat(s).containsEntry("alarm", 1.0).containsEntry("confidence_violation", 1.0);
        assertThat(s.get("confidence")).isGreaterThan(0.9);
        assertThat(s).containsKeys("input_length", "unknown_token_rate", "truncation_rate", "embedding", "embedding_mahalanobis",
                "novelty_rate", "novelty_rate_p_holm", "unfamiliarity", "unfamiliarity_p_holm");
        // events captured without a novelty score: the novelty signals say they could not be judged, the rest are
        for (Observation o : Synthetic.traffic(200, 0, 10))
            live.observed("toy", "1", new Observation(o.eventId(), o.timeMillis(), o.label(), o.score(), o.tokens(), false, 0, o.sketch(),
                    o.trueLabel()));
        assertThat(live.scores().get("toy")).containsEntry("judged", 1.0).containsEntry("novelty_rate_judged", 0.0)
                .containsEntry("unfamiliarity_judged", 0.0).containsEntry("confidence_judged", 1.0).doesNotContainKey("novelty_rate_p_holm");
        live.close();
    }

    @Test
    void liveGaugesWithoutABaselineUseTheFirstWindow() {
        LiveDrift live = new LiveDrift(100, Map.of(), C, Runnable::run);
        for (Observation o : Synthetic.traffic(100, 0, 6)) live.observed("toy", "1", o);
        assertThat(live.scores().get("toy")).containsEntry("judged", 0.0).containsEntry("reference_events", 100.0);
        for (Observation o : Synthetic.traffic(100, 1, 7)) live.observed("toy", "1", o);
        assertThat(live.scores().get("toy")).containsEntry("judged", 1.0).containsEntry("alarm", 1.0);
        live.close();
    }

    @Test
    void aTenthOfUnfamiliarTrafficRaisesTheNoveltyRate() {
        // novelty is standard normal in the baseline: 5 % above its 0.95 quantile (1.6); a tenth of the window at 5
        CheckResult calm = DriftCheck.run(BASE, Synthetic.traffic(600, 0, 31), C);
        assertThat(calm.signal("novelty_rate").status()).isEqualTo(Status.OK);
        assertThat(calm.signal("novelty_rate").baseline()).isCloseTo(0.05, within(0.002));
        List<Observation> w = new ArrayList<>();
        for (Observation o : Synthetic.traffic(600, 0, 32))
            w.add(w.size() % 10 == 0 ? new Observation(o.eventId(), o.timeMillis(), o.label(), o.score(), o.tokens(), false, 0, o.sketch(),
                    o.trueLabel(), 5.0) : o);
        CheckResult r = DriftCheck.run(BASE, w, C);
        SignalResult s = r.signal("novelty_rate");
        assertThat(s.status()).as(s.decision()).isEqualTo(Status.VIOLATION);
        assertThat(s.window()).isCloseTo(0.145, within(0.03));
        assertThat(r.signal("confidence").violated()).isFalse();
        // events without a score (lines captured before it) are left out; a baseline without scores makes it not applicable
        List<Observation> old = Synthetic.traffic(600, 0, 33).stream().map(o -> new Observation(o.eventId(), o.timeMillis(), o.label(), o.score(),
                o.tokens(), false, 0, o.sketch(), o.trueLabel())).toList();
        assertThat(DriftCheck.run(BASE, old, C).signal("novelty_rate").status()).isEqualTo(Status.INSUFFICIENT_DATA);
        BaselineStatistics noScores = BaselineStatistics.of("toy", "1", "old", Synthetic.LABELS, old, 4, 0, 7);
        assertThat(noScores.novelty()).isEmpty();
        assertThat(DriftCheck.run(noScores, w, C).signal("novelty_rate").status()).isEqualTo(Status.NOT_APPLICABLE);
    }

    @Test
    void aSmallAdmixtureOfUnfamiliarTrafficRaisesUnfamiliarityAndANullSampleDoesNot() {
        // baseline: confidence uniform on [0.80, 0.90], novelty standard normal. A planted 5 % of the window is unusual on
        // both at once (confidence 0.81, the baseline's 10th percentile; novelty 1.3, its 90th) but inside both 5 % tails,
        // so low_confidence_rate and novelty_rate see nothing. Each planted event is as unfamiliar as about 2 % of the
        // baseline (mean of two uniforms >= 0.9): score ln(0.2 / 0.02) = 2.3 against a baseline mean of 0.2, so the mean
        // rises by about 0.05 * 2.1 = 0.1, five standard errors of a 1,000-event window's mean.
        assertThat(C.unfamiliarTail()).isEqualTo(Constraints.DEFAULT_UNFAMILIAR_TAIL);
        List<Observation> w = new ArrayList<>();
        for (Observation o : Synthetic.traffic(1000, 0, 41))
            w.add(w.size() % 20 == 0 ? new Observation(o.eventId(), o.timeMillis(), o.label(), 0.81, o.tokens(), false, 0, o.sketch(),
                    o.trueLabel(), 1.3) : o);
        CheckResult r = DriftCheck.run(BASE, w, C);
        SignalResult s = r.signal("unfamiliarity");
        assertThat(s.baseline()).isCloseTo(0.2, within(0.02));
        assertThat(s.value()).isCloseTo(0.1, within(0.04));
        assertThat(s.status()).as(s.decision()).isEqualTo(Status.VIOLATION);
        assertThat(r.signal("novelty_rate").violated()).isFalse();
        assertThat(r.signal("low_confidence_rate").violated()).isFalse();
        assertThat(r.violations()).extracting(SignalResult::signal).containsExactly("unfamiliarity");
        assertThat(s.rule()).contains("one-sided");
        // a null sample with a fixed seed: no violation, p well above the family alpha
        SignalResult calm = DriftCheck.run(BASE, Synthetic.traffic(1000, 0, 42), C).signal("unfamiliarity");
        assertThat(calm.status()).as(calm.decision()).isEqualTo(Status.OK);
        assertThat(calm.p()).isGreaterThan(0.05);
        // more familiar traffic than the baseline is no evidence (one-sided)
        List<Observation> calmer = Synthetic.traffic(4000, 0, 43).stream().filter(o -> o.novelty() < 1 && o.score() > 0.81).toList();
        SignalResult less = DriftCheck.run(BASE, calmer, C).signal("unfamiliarity");
        assertThat(less.value()).isNegative();
        assertThat(less.p()).isGreaterThan(0.5);
        // a baseline without pairs (written before they were kept) does not test it
        BaselineStatistics old = new BaselineStatistics(BASE.model(), BASE.version(), BASE.source(), BASE.provenance(), BASE.provenanceNote(),
                BASE.n(), BASE.labels(), BASE.classCounts(), BASE.confidence(), BASE.tokens(), BASE.unknownEvents(), BASE.truncatedEvents(),
                BASE.sketchDim(), BASE.sketchSeed(), BASE.centroid(), BASE.covariance(), BASE.reference(), BASE.accuracy(), BASE.macroF1(),
                BASE.confusion(), BASE.outOfScopeLabel(), BASE.novelty());
        assertThat(DriftCheck.run(old, w, C).signal("unfamiliarity").status()).isEqualTo(Status.NOT_APPLICABLE);
    }

    @Test
    void unfamiliarityScoresByHand() {
        double[] conf = {0.1, 0.2, 0.3, 0.4}, nov = {1, 2, 3, 4};
        // confidence 0.15: 3 of 4 baseline confidences above it; novelty 2.5: 2 of 4 below it
        assertThat(DriftCheck.unfamiliarity(conf, nov, 0.15, 2.5)).isEqualTo(0.625);
        assertThat(DriftCheck.unfamiliarity(conf, nov, 0.05, 5)).isEqualTo(1.0);
        assertThat(DriftCheck.unfamiliarity(conf, nov, 0.45, 0.5)).isEqualTo(0.0);
        // baseline pairs (0.4, 1), (0.3, 2), (0.2, 3), (0.1, 4): unfamiliarity 0, 0.25, 0.5, 0.75
        var scorer = DriftCheck.UnfamiliarScorer.of(new double[][] {{0.4, 1}, {0.3, 2}, {0.2, 3}, {0.1, 4}}, 0.5);
        // tail p over n + 1 = 5 (the event itself counts): 4/5, 3/5, 2/5, 1/5; score max(0, ln(0.5 / p))
        assertThat(scorer.baselineScores()).containsExactly(new double[] {0, 0, Math.log(0.5 / 0.4), Math.log(0.5 / 0.2)}, within(1e-12));
        // a new event beyond every baseline event: p = (1 + 0) / 5
        assertThat(scorer.score(0.05, 5)).isCloseTo(Math.log(0.5 / 0.2), within(1e-12));
        assertThat(scorer.score(0.45, 0.5)).isZero();
    }

    @Test
    void tooFewPermutationsAreRaisedSoTheSmallestPCanPassHolm() {
        Constraints few = new Constraints(100, 0.01, 0.05, 0.25, 0.10, 0.02, 99, 100, 50, 0.05, 0.02, 0.05, 200, 42, 0.95);
        int floor = DriftCheck.withPermutationFloor(few).permutations();
        assertThat(1.0 / (floor + 1)).isLessThanOrEqualTo(0.01 / DriftCheck.DRIFT_SIGNALS.size() / 2);
        assertThat(DriftCheck.withPermutationFloor(C)).isSameAs(C);
    }

    private static Observation obs(String label) {
        return new Observation(null, 0, label, 0.9, 5, false, 0, null, null);
    }
}
