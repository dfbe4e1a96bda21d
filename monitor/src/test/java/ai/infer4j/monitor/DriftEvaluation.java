package ai.infer4j.monitor;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.config.EngineOptions;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.train.EmbeddingCache;
import ai.infer4j.engine.data.LabeledText;
import ai.infer4j.engine.train.IntentTrainer;
import ai.infer4j.monitor.baseline.BaselineStatistics;
import ai.infer4j.monitor.baseline.Constraints;
import ai.infer4j.monitor.baseline.CrossFit;
import ai.infer4j.monitor.baseline.Observer;
import ai.infer4j.monitor.capture.EmbeddingSketch;
import ai.infer4j.monitor.capture.Observation;
import ai.infer4j.monitor.drift.CheckResult;
import ai.infer4j.monitor.drift.DriftCheck;
import ai.infer4j.monitor.drift.SignalResult;
import ai.infer4j.monitor.drift.StatTests;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * The honest evaluation of the drift checks (a benchmark, not a unit test; run by monitor/bench/drift-eval.sh).
 * The shipped intent head was trained on CLINC150 train and valid pooled, so no CLINC150 data here is new to it (the
 * test split is held back). Every same-domain window therefore comes from the clean setting:
 * <ol>
 * <li>held-out halves: the pooled rows are split into label-stratified halves A and B; a head is trained on A exactly
 * as the shipped one was ({@code IntentTrainer}, 5-fold CV on A's train and valid rows pooled, the shipped recipe as
 * the only grid point, the energy + centroid out-of-scope score); the baseline is A predicted out-of-fold by
 * {@link CrossFit} (what {@code monitor baseline} does); traffic is B, rows that head never saw. Then the roles
 * swapped (head on B, traffic A) for a second independent estimate;</li>
 * <li>shifts against the half-A baseline: Banking77, product titles, typos, a class-mix shift, 10 % and 5 % mixes,
 * and B's valid rows alone (CLINC150's valid split has 4.8x train's out-of-scope share); detection rate over
 * windows and delay in events after a switch;</li>
 * <li>the shipped head: baseline = train predicted out-of-fold with fold heads fitted on train + valid pooled (what
 * {@code monitor baseline --data train.jsonl} does with valid beside it), against other-domain traffic.</li>
 * </ol>
 * Each window size in the list is run in turn. The two half heads are written to {@code OUT} and read back by later runs
 * with the same {@code OUT}, so the window sizes can be run as separate commands.
 * With {@code select} instead of window sizes it runs the design choice of the {@code novelty_rate} signal instead: its
 * baseline quantile is chosen on Banking77's <em>train</em> split mixed into half B (the evaluation mixes in Banking77's
 * valid split), so the evaluation measures the chosen design once.
 *
 * <pre>java -cp ... ai.infer4j.monitor.DriftEvaluation DATA_DIR [OUT] [WINDOWS_SIZES=600 | select] [WINDOWS=100] [CACHE_DIR]</pre>
 */
public final class DriftEvaluation {
    private static final int SKETCH = EmbeddingSketch.DEFAULT_DIM;

    public static void main(String[] args) throws Exception {
        if (args.length < 1) throw new IllegalArgumentException("usage: DriftEvaluation DATA_DIR [OUT] [WINDOW[,WINDOW...]] [WINDOWS] [CACHE_DIR]");
        Path data = Path.of(args[0]);
        Path out = Path.of(args.length > 1 ? args[1] : "target/drift-eval");
        boolean select = args.length > 2 && args[2].equals("select");
        int[] sizes = select ? new int[0] : Arrays.stream((args.length > 2 ? args[2] : "600").split(",")).mapToInt(Integer::parseInt).toArray();
        int windows = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        Path cacheDir = Path.of(args.length > 4 ? args[4] : System.getProperty("user.home") + "/.cache/infer4j/embeddings");
        Files.createDirectories(out);
        Constraints c = Constraints.defaults();
        EmbeddingCache cache = new EmbeddingCache(cacheDir);
        try (Engine engine = Engine.create(EngineOptions.defaults())) {
            Model m = engine.load("intent");
            SoftmaxHead head = m.heads().get(0);
            CrossFit.Recipe recipe = CrossFit.Recipe.of(head.training());
            System.out.printf("shipped head: recipe %s, pooled %s, out-of-scope score %s%n", recipe, CrossFit.Recipe.pooled(head.training()),
                    head.oosScore() == null ? "none" : "energy+centroid, threshold " + head.oosScore().threshold());
            long t0 = System.nanoTime();
            List<LabeledText> train = DataFiles.readLabeled(data.resolve("clinc150/train.jsonl"));
            List<LabeledText> valid = DataFiles.readLabeled(data.resolve("clinc150/valid.jsonl"));
            List<LabeledText> pooled = new ArrayList<>(train);
            pooled.addAll(valid);
            Observer.Embedded ePooled = embed(m, cache, texts(pooled));
            System.out.printf("embedded %d train + %d valid rows in %.0f s%n", train.size(), valid.size(), (System.nanoTime() - t0) / 1e9);

            // 1. held-out halves of train + valid pooled, a head trained on each half like the shipped one
            int[] half = CrossFit.folds(labels(pooled), 2, 11);
            List<Integer> a = new ArrayList<>(), b = new ArrayList<>();
            for (int i = 0; i < half.length; i++) (half[i] == 0 ? a : b).add(i);
            Half hA = half("A", a, b, pooled, train.size(), ePooled, head, recipe, m, cache, out);
            if (select) {
                select(hA, m, cache, data, c, windows, out);
                return;
            }
            Half hB = half("B", b, a, pooled, train.size(), ePooled, head, recipe, m, cache, out);
            Monitor.writeBaseline(hA.base, c, out.resolve("baseline-half-a-oof"));

            // 2. shifts, predicted by the half-A head
            List<LabeledText> banking = DataFiles.readLabeled(data.resolve("banking77/valid.jsonl"));
            List<Observation> bankingObs = observeWith(hA.head, m, cache, texts(banking), null);
            List<Observation> products = observeWith(hA.head, m, cache, titles(data), null);
            SplittableRandom typoRng = new SplittableRandom(7);
            List<LabeledText> typoRows = b.stream().filter(i -> i >= train.size()).map(pooled::get).toList();   // B's valid-split rows
            List<Observation> typos = observeWith(hA.head, m, cache, typoRows.stream().map(v -> typos(v.text(), 0.25, typoRng)).toList(),
                    labels(typoRows));
            List<Observation> bValidRows = new ArrayList<>(), bTrainRows = new ArrayList<>();
            for (int j = 0; j < b.size(); j++) (b.get(j) >= train.size() ? bValidRows : bTrainRows).add(hA.traffic.get(j));
            List<Observation> inScope = hA.traffic.stream().filter(o -> !"oos".equals(o.trueLabel())).toList();
            System.out.printf("half-A head: out-of-scope answers on Bankin77 valid %.3f, product titles %.3f, half B %.3f (its valid rows %.3f), "
                            + "baseline %.4f%n", oosShare(bankingObs), oosShare(products), oosShare(hA.traffic), oosShare(bValidRows),
                    (double) hA.base.countOf("oos") / hA.base.predictedEvents());
            double q = c.noveltyQuantile();
            System.out.printf("half-A head: novelty above the baseline's %.2f quantile (%.3f): baseline %.4f, half B %.4f, Banking77 valid %.3f, "
                            + "product titles %.3f, typos %.3f%n", q, quantile(hA.base.novelty(), q), tail(hA.base.novelty(), hA.base, q),
                    tail(hA.traffic, hA.base, q), tail(bankingObs, hA.base, q), tail(products, hA.base, q), tail(typos, hA.base, q));

            // 3. the shipped head: train out-of-fold with fold heads on train + valid pooled, as monitor baseline does
            long tc = System.nanoTime();
            Observer.Embedded eTrain = sub(ePooled, IntStream.range(0, train.size()).boxed().toList());
            BaselineStatistics shippedBase = cached(out.resolve("cache-oof-shipped"), headKey(head), () -> {
                Prediction[] oof = CrossFit.outOfFold(head, recipe, ePooled.vectors(), texts(pooled), labels(pooled), Monitor.FOLDS, 2);
                return stats(m, "clinc150/train.jsonl out-of-fold (fold heads on train+valid)",
                        Observer.observations(eTrain, i -> oof[i], labels(train), SKETCH));
            });
            BaselineStatistics inSample = stats(m, "clinc150/train.jsonl in-sample",
                    Observer.observations(eTrain, i -> m.predict(eTrain.vectors()[i], train.get(i).text()), labels(train), SKETCH));
            System.out.printf("shipped head: cross-fit %.0f s; train out-of-fold accuracy %.4f (mean confidence %.3f, oos answers %.4f); "
                            + "in-sample %.4f (%.3f)%n", (System.nanoTime() - tc) / 1e9, shippedBase.accuracy(), mean(shippedBase.confidence()),
                    (double) shippedBase.countOf("oos") / shippedBase.predictedEvents(), inSample.accuracy(), mean(inSample.confidence()));
            List<Observation> shippedBanking = observe(m, cache, texts(banking), null), shippedProducts = observe(m, cache, titles(data), null);

            for (int window : sizes) {
                System.out.println("=== WINDOW " + window);
                sameDomain("half B (unseen by the half-A head) vs half A out-of-fold", hA.base, hA.traffic, window, windows, c, true);
                sameDomain("half A (unseen by the half-B head) vs half B out-of-fold", hB.base, hB.traffic, window, windows, c, false);
                sameDomain("half B in-scope rows only vs half A out-of-fold", hA.base, inScope, window, windows, c, false);
                sameDomain("half B rows from CLINC150 train only vs half A out-of-fold", hA.base, bTrainRows, window, windows, c, false);

                Map<String, List<Observation>> shifts = new LinkedHashMap<>();
                shifts.put("CLINC150 valid-split rows of B (4.8x train's oos share)", bValidRows);
                shifts.put("Banking77 valid (other domain)", bankingObs);
                shifts.put("product titles (other domain)", products);
                shifts.put("typos: 25% of words", typos);
                // mixtures drawn as pools of 100 windows, so windows sampled from them are (nearly) independent mixture draws
                shifts.put("class mix: half the traffic from 10 intents", classMix(hA.traffic, window * MIX_POOL, new SplittableRandom(3)));
                shifts.put("10% Banking77 mixed in", mix(hA.traffic, bankingObs, 0.10, window * MIX_POOL, new SplittableRandom(5)));
                shifts.put("5% Banking77 mixed in", mix(hA.traffic, bankingObs, 0.05, window * MIX_POOL, new SplittableRandom(8)));
                shifts.put("10% product titles mixed in", mix(hA.traffic, products, 0.10, window * MIX_POOL, new SplittableRandom(6)));
                shifts.put("5% product titles mixed in", mix(hA.traffic, products, 0.05, window * MIX_POOL, new SplittableRandom(9)));
                shifts("half-A head, half-A out-of-fold baseline, before the switch: half B", hA.base, hA.traffic, shifts, window, windows, c);

                Map<String, List<Observation>> shipped = new LinkedHashMap<>();
                shipped.put("Banking77 valid (other domain)", shippedBanking);
                shipped.put("product titles (other domain)", shippedProducts);
                shifts("shipped head, train out-of-fold baseline (no delay: no CLINC150 rows are new to it)", shippedBase, null, shipped, window,
                        windows, c);
            }
            int tiny = Math.max(2, c.minSamples() / 2);
            CheckResult r = DriftCheck.run(hA.base, sample(hA.traffic, tiny, new SplittableRandom(1)), c);
            System.out.printf("WINDOW %d: too small to judge %s; drift tested %d, quality tested %d; e.g. %s%n", tiny, r.tooSmall(), r.drift().tested(),
                    r.quality().tested(), r.signal("confidence").decision());
        }
    }

    /**
     * Size of a mixture pool in windows. A pool of a few windows fixes one realised share for all windows drawn from it
     * (4 windows of 600 at 5 %: 120 +- 11 foreign events), which made detection rates near the edge depend on one draw.
     */
    static final int MIX_POOL = 100;

    /**
     * Statistics computed by an earlier run for the same head (key), else computed and kept in {@code dir}. Ablations:
     * with the environment variable {@code DRIFT_EVAL_WITHOUT_UNFAMILIAR} set, the (confidence, novelty) pairs are dropped
     * (the checks run as before {@code unfamiliarity}); with {@code DRIFT_EVAL_WITHOUT_NOVELTY}, the novelty sample too
     * (as before {@code novelty_rate}).
     */
    static BaselineStatistics cached(Path dir, String headKey, java.util.function.Supplier<BaselineStatistics> compute) throws Exception {
        Path k = dir.resolve("key.txt");
        String key = headKey + " " + STATS_VERSION;
        BaselineStatistics s;
        if (Files.isRegularFile(k) && Files.readString(k).equals(key) && Files.isRegularFile(dir.resolve(Monitor.STATISTICS))) {
            s = Monitor.readStatistics(dir);
        } else {
            s = compute.get();
            Monitor.writeBaseline(s, Constraints.defaults(), dir);
            Files.writeString(k, key);
        }
        boolean withoutNovelty = System.getenv("DRIFT_EVAL_WITHOUT_NOVELTY") != null;
        boolean withoutUnfamiliar = withoutNovelty || System.getenv("DRIFT_EVAL_WITHOUT_UNFAMILIAR") != null;
        if (!withoutUnfamiliar) return s;
        System.out.println("ABLATION: " + s.source() + " without its (confidence, novelty) pairs (unfamiliarity not applicable)"
                + (withoutNovelty ? " and its novelty sample (novelty_rate not applicable)" : ""));
        return new BaselineStatistics(s.model(), s.version(), s.source(), s.provenance(), s.provenanceNote(), s.n(), s.labels(), s.classCounts(),
                s.confidence(), s.tokens(), s.unknownEvents(), s.truncatedEvents(), s.sketchDim(), s.sketchSeed(), s.centroid(), s.covariance(),
                s.reference(), s.accuracy(), s.macroF1(), s.confusion(), s.outOfScopeLabel(), withoutNovelty ? new double[0] : s.novelty(), null);
    }

    /** Bumped when the statistics gain a field, so cached baselines of an older layout are recomputed. */
    static final String STATS_VERSION = "stats-v2-confidence-novelty-pairs";

    /** SHA-256 of what defines a head's predictions (labels, weights, out-of-scope score, training record). */
    static String headKey(SoftmaxHead h) throws Exception {
        java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
        d.update(String.valueOf(h.labels()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (float[] row : h.weights()) d.update(Arrays.toString(row).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        d.update(Arrays.toString(h.bias()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        if (h.oosScore() != null) d.update(String.valueOf(h.oosScore().threshold()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        d.update(String.valueOf(h.training()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return java.util.HexFormat.of().formatHex(d.digest());
    }

    /** Candidate tails of the {@code unfamiliarity} signal. */
    static final double[] UNFAMILIAR_TAILS = {0.05, 0.1, 0.2, 0.3};

    /**
     * The design choice of {@code unfamiliarity}, on data the evaluation does not use: Banking77's train split (3,000 rows)
     * mixed at 5 % and 10 % into half B, windows of 600, each candidate tail with the default constraints otherwise.
     * Only power is compared (every candidate's test is exact); the same-domain windows of half B are counted as a check.
     * Also writes the (confidence, novelty) pairs of the baseline, half B and the Banking77 rows to {@code OUT/select-*.csv}
     * for the power calculation (monitor/bench/power.py).
     */
    static void select(Half hA, Model m, EmbeddingCache cache, Path data, Constraints c, int windows, Path out) throws Exception {
        List<LabeledText> all = DataFiles.readLabeled(data.resolve("banking77/train.jsonl"));
        List<LabeledText> rows = new ArrayList<>(all);
        Collections.shuffle(rows, new java.util.Random(77));
        List<Observation> banking = observeWith(hA.head, m, cache, texts(rows.subList(0, Math.min(3000, rows.size()))), null);
        System.out.printf("SELECT unfamiliarity tail on Banking77 train (%d rows), half-A head, oos answers on it %.3f%n", banking.size(),
                oosShare(banking));
        List<String> lines = new ArrayList<>(List.of("confidence,novelty"));
        for (double[] p : hA.base.confidenceNovelty()) lines.add(p[0] + "," + p[1]);
        Files.write(out.resolve("select-baseline.csv"), lines);
        Files.write(out.resolve("select-half-b.csv"), csv(hA.traffic));
        Files.write(out.resolve("select-banking77-train.csv"), csv(banking));
        for (double q : UNFAMILIAR_TAILS) {
            Constraints cq = c.withUnfamiliarTail(q);
            StringBuilder sb = new StringBuilder();
            int nullAlarms = 0, nullSignal = 0;
            for (int seed = 0; seed < windows; seed++) {
                CheckResult r = DriftCheck.run(hA.base, sample(hA.traffic, 600, new SplittableRandom(1000 + seed)), cq.withSeed(seed));
                if (r.drift().alarm()) nullAlarms++;
                if (r.signal("unfamiliarity").violated()) nullSignal++;
            }
            sb.append(String.format(Locale.ROOT, "; half B alone: %d of %d windows of 600 alarmed (unfamiliarity %d)", nullAlarms, windows, nullSignal));
            for (double share : new double[] {0.05, 0.10}) {
                int alarms = 0, unfamiliar = 0;
                List<Observation> mixed = mix(hA.traffic, banking, share, 600 * MIX_POOL, new SplittableRandom(50 + (long) (share * 100)));
                for (int seed = 0; seed < windows; seed++) {
                    CheckResult r = DriftCheck.run(hA.base, sample(mixed, 600, new SplittableRandom(3000 + seed)), cq.withSeed(seed));
                    if (r.drift().alarm()) alarms++;
                    if (r.signal("unfamiliarity").violated()) unfamiliar++;
                }
                sb.append(String.format(Locale.ROOT, "; %.0f%% mixed in: %d of %d windows of 600 alarmed (unfamiliarity %d)", share * 100, alarms,
                        windows, unfamiliar));
            }
            SignalResult b = DriftCheck.run(hA.base, hA.traffic, cq).signal("unfamiliarity");
            SignalResult k = DriftCheck.run(hA.base, banking, cq).signal("unfamiliarity");
            System.out.printf(Locale.ROOT, "SELECT tail %.2f: mean score baseline %.4f, half B %.4f, Banking77 train %.3f%s%n", q,
                    b.baseline(), b.window(), k.window(), sb);
        }
    }

    static List<String> csv(List<Observation> obs) {
        List<String> lines = new ArrayList<>(List.of("confidence,novelty"));
        for (Observation o : obs) lines.add(o.score() + "," + o.novelty());
        return lines;
    }

    static double quantile(double[] sorted, double q) {
        return sorted.length == 0 ? Double.NaN : sorted[(int) Math.floor(q * (sorted.length - 1))];
    }

    /** Share of scores above the baseline's {@code q} quantile (the rule of {@code novelty_rate}). */
    static double tail(double[] scores, BaselineStatistics base, double q) {
        double t = quantile(base.novelty(), q);
        return Arrays.stream(scores).filter(v -> v > t).count() / (double) scores.length;
    }

    static double tail(List<Observation> obs, BaselineStatistics base, double q) {
        return tail(obs.stream().mapToDouble(Observation::novelty).filter(Double::isFinite).map(v -> Math.round(v * 1e5) / 1e5).toArray(), base, q);
    }

    /** A head trained on rows {@code fit} like the shipped head, its out-of-fold baseline and its predictions on {@code other}. */
    record Half(SoftmaxHead head, BaselineStatistics base, List<Observation> traffic) { }

    static Half half(String name, List<Integer> fit, List<Integer> other, List<LabeledText> pooled, int trainRows, Observer.Embedded e,
                     SoftmaxHead shipped, CrossFit.Recipe recipe, Model m, EmbeddingCache cache, Path out) throws Exception {
        long t = System.nanoTime();
        Path trainFile = out.resolve("half-" + name + "-train.jsonl"), validFile = out.resolve("half-" + name + "-valid.jsonl");
        ObjectMapper json = new ObjectMapper();
        List<String> tl = new ArrayList<>(), vl = new ArrayList<>();
        for (int i : fit) (i < trainRows ? tl : vl).add(json.writeValueAsString(Map.of("text", pooled.get(i).text(), "label", pooled.get(i).label())));
        Files.write(trainFile, tl);
        Files.write(validFile, vl);
        double budget = shipped.training().path("cv").path("oos").path("budget").asDouble(IntentTrainer.DEFAULT_OOS_BUDGET);
        IntentTrainer.Grid g = new IntentTrainer.Grid(new double[] {recipe.learningRate()}, new double[] {recipe.l2()}, new int[] {recipe.epochs()},
                IntentTrainer.Grid.defaults().oosThresholds());
        Path headFile = out.resolve("half-" + name + "-head.json");
        // a head trained by an earlier run on the same rows (the data files written above are compared with its record)
        SoftmaxHead h = Files.isRegularFile(headFile) ? HeadFiles.read(headFile) : null;
        if (h != null && !(ModelArchive.sha256(trainFile).equals(h.training().path("data").path("train").path("sha256").asText())
                && ModelArchive.sha256(validFile).equals(h.training().path("data").path("valid").path("sha256").asText()))) h = null;
        if (h == null) {
            h = IntentTrainer.train(new IntentTrainer.Job("intent-half-" + name, trainFile, validFile, shipped.oosLabel(), recipe.seed(), g,
                    2, Monitor.FOLDS, budget), m.backbone(), cache, Progress.NONE);
            HeadFiles.write(h, headFile);
        } else {
            System.out.printf("half %s: head read from %s (trained by an earlier run on the same rows)%n", name, headFile);
        }
        SoftmaxHead head = h;
        CrossFit.Recipe r = CrossFit.Recipe.of(h.training());
        // the head's training rows in the order it read them (train file, then valid file), predicted out-of-fold
        List<Integer> order = new ArrayList<>(fit.stream().filter(i -> i < trainRows).toList());
        order.addAll(fit.stream().filter(i -> i >= trainRows).toList());
        Observer.Embedded ef = sub(e, order), eo = sub(e, other);
        List<String> yf = order.stream().map(i -> pooled.get(i).label()).toList();
        BaselineStatistics base = cached(out.resolve("cache-oof-" + name), headKey(head), () -> {
            Prediction[] oof = CrossFit.outOfFold(head, r, ef.vectors(), yf, Monitor.FOLDS, 2);
            return stats(m, "half " + name + " out-of-fold", Observer.observations(ef, i -> oof[i], yf, SKETCH));
        });
        List<Observation> traffic = Observer.observations(eo, i -> head.apply(eo.vectors()[i]), other.stream().map(i -> pooled.get(i).label()).toList(),
                SKETCH);
        BaselineStatistics inSample = stats(m, "in-sample", Observer.observations(ef, i -> head.apply(ef.vectors()[i]), yf, SKETCH));
        BaselineStatistics trafficStats = stats(m, "traffic", traffic);
        System.out.printf("half %s: %d rows, recipe %s, oos threshold %.3f; %.0f s. accuracy / mean confidence / oos answers: in-sample %.4f / %.3f / %.4f, "
                        + "out-of-fold %.4f / %.3f / %.4f, other half (new data) %.4f / %.3f / %.4f%n", name, fit.size(), r,
                h.oosScore() == null ? Double.NaN : h.oosScore().threshold(), (System.nanoTime() - t) / 1e9,
                inSample.accuracy(), mean(inSample.confidence()), oosShare(inSample), base.accuracy(), mean(base.confidence()), oosShare(base),
                trafficStats.accuracy(), mean(trafficStats.confidence()), oosShare(trafficStats));
        return new Half(head, base, traffic);
    }

    static double oosShare(BaselineStatistics s) {
        return (double) s.countOf("oos") / s.predictedEvents();
    }

    static double oosShare(List<Observation> obs) {
        return obs.stream().filter(o -> "oos".equals(o.label())).count() / (double) obs.size();
    }

    static void shifts(String setting, BaselineStatistics base, List<Observation> before, Map<String, List<Observation>> shifts, int window,
                       int windows, Constraints c) {
        System.out.println("SETTING " + setting);
        for (var e : shifts.entrySet()) {
            int detected = 0;
            Map<String, Integer> why = new TreeMap<>();
            for (int seed = 0; seed < windows; seed++) {
                CheckResult r = DriftCheck.run(base, sample(e.getValue(), window, new SplittableRandom(2000 + seed)), c.withSeed(seed));
                if (r.alarm()) detected++;
                for (SignalResult s : r.violations()) why.merge(s.signal(), 1, Integer::sum);
                if (seed == 0) print(e.getKey() + " seed 0", r);
            }
            // delay: only streams whose window before the switch is calm count (a false alarm there is no detection)
            List<Integer> delays = new ArrayList<>();
            int preAlarms = 0, every = step(window);
            for (int seed = 0; before != null && delays.size() < 5 && seed < 20; seed++) {
                int d = delay(base, before, e.getValue(), window, every, c.withSeed(seed), new SplittableRandom(seed));
                if (d == PRE_ALARM) preAlarms++;
                else delays.add(d);
            }
            System.out.printf("SHIFT %s: %d of %d windows of %d alarmed %s; delay after switch in events (checks every %d, 5 streams calm "
                    + "before the switch; %d streams skipped: alarm before it; -1: not within 2 windows): %s%n", e.getKey(), detected, windows,
                    window, why, every, preAlarms, delays);
        }
    }

    static final int PRE_ALARM = -2;

    /** Events between checks in the delay streams: about 24 checks per window, at least 25. */
    static int step(int window) {
        return Math.max(25, (int) Math.round(window / 24.0 / 25.0) * 25);
    }

    static List<Observation> observeWith(SoftmaxHead head, Model m, EmbeddingCache cache, List<String> texts, List<String> truth) {
        Observer.Embedded e = embed(m, cache, texts);
        return Observer.observations(e, i -> head.apply(e.vectors()[i], texts.get(i)), truth, SKETCH);
    }

    static void sameDomain(String what, BaselineStatistics base, List<Observation> pool, int window, int windows, Constraints c, boolean verbose) {
        Map<String, Integer> fired = new TreeMap<>();
        int alarms = 0, driftAlarms = 0, qualityAlarms = 0, asymptotic = 0;
        long t = System.nanoTime();
        for (int seed = 0; seed < windows; seed++) {
            List<Observation> w = sample(pool, window, new SplittableRandom(1000 + seed));
            CheckResult r = DriftCheck.run(base, w, c.withSeed(seed));
            if (r.alarm()) alarms++;
            if (r.drift().alarm()) driftAlarms++;
            if (r.quality().alarm()) qualityAlarms++;
            for (SignalResult s : r.violations()) fired.merge(s.signal(), 1, Integer::sum);
            Map<String, Long> counts = new LinkedHashMap<>();
            for (Observation o : w) counts.merge(o.label(), 1L, Long::sum);
            if (StatTests.chiSquare(base.countsOf(base.classCounts()), base.countsOf(counts)).p() < 0.001) asymptotic++;
            if (verbose && seed < 2) print(what + " seed " + seed, r);
        }
        System.out.printf("SAME-DOMAIN %s: %d of %d windows of %d alarmed (drift family %d, quality %d) %s; "
                        + "asymptotic chi-square p < 0.001 in %d; %.2f s per check (pool %d rows)%n", what, alarms, windows, window, driftAlarms,
                qualityAlarms, fired, asymptotic, (System.nanoTime() - t) / 1e9 / windows, pool.size());
    }

    /**
     * Events after a switch from {@code before} to {@code after} until a check of the last {@code window} events alarms
     * (-1: never within 2 windows; {@link #PRE_ALARM}: the window before the switch already alarmed).
     */
    static int delay(BaselineStatistics base, List<Observation> before, List<Observation> after, int window, int every, Constraints c,
                     SplittableRandom r) {
        List<Observation> stream = new ArrayList<>(sample(before, window, r));
        if (DriftCheck.run(base, stream, c).drift().alarm()) return PRE_ALARM;
        List<Observation> shifted = sample(after, 2 * window, r);
        for (int k = 0; k < shifted.size(); k++) {
            stream.add(shifted.get(k));
            if ((k + 1) % every != 0) continue;
            if (DriftCheck.run(base, stream.subList(stream.size() - window, stream.size()), c).drift().alarm()) return k + 1;
        }
        return -1;
    }

    static void print(String what, CheckResult r) {
        StringBuilder sb = new StringBuilder("  " + what + ":");
        for (SignalResult s : r.signals())
            sb.append(String.format(Locale.ROOT, " %s=%s(%.4f,p=%.2g,holm=%.2g)", s.signal(), s.status().name().toLowerCase(Locale.ROOT).substring(0, 2),
                    s.value(), s.p(), s.pAdjusted()));
        System.out.println(sb);
    }

    static BaselineStatistics stats(Model m, String source, List<Observation> obs) {
        return BaselineStatistics.of(m.name(), m.version(), source, m.labels(), obs, SKETCH, EmbeddingSketch.SEED, 42).withOutOfScopeLabel("oos");
    }

    static Observer.Embedded embed(Model m, EmbeddingCache cache, List<String> texts) {
        return new Observer.Embedded(m.tokenize(texts.stream().map(TextInput::of).toList()),
                cache.embed(m.backbone(), texts, "embed", Progress.NONE));
    }

    static List<Observation> observe(Model m, EmbeddingCache cache, List<String> texts, List<String> truth) {
        Observer.Embedded e = embed(m, cache, texts);
        IntFunction<Prediction> p = i -> m.predict(e.vectors()[i], texts.get(i));
        return Observer.observations(e, p, truth, SKETCH);
    }

    static Observer.Embedded sub(Observer.Embedded e, List<Integer> rows) {
        return new Observer.Embedded(rows.stream().map(i -> e.tokens().get(i)).toList(), rows.stream().map(i -> e.vectors()[i]).toArray(float[][]::new));
    }

    static List<String> texts(List<LabeledText> rows) {
        return rows.stream().map(LabeledText::text).toList();
    }

    static List<String> labels(List<LabeledText> rows) {
        return rows.stream().map(LabeledText::label).toList();
    }

    static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    static List<Observation> sample(List<Observation> all, int n, SplittableRandom r) {
        List<Observation> c = new ArrayList<>(all);
        int k = Math.min(n, c.size());
        for (int i = 0; i < k; i++) Collections.swap(c, i, i + r.nextInt(c.size() - i));
        return new ArrayList<>(c.subList(0, k));
    }

    /** Half of the events from 10 intents, the other half as usual. */
    static List<Observation> classMix(List<Observation> all, int n, SplittableRandom r) {
        List<String> labels = all.stream().map(Observation::trueLabel).distinct().sorted().toList();
        List<String> hot = labels.subList(0, 10);
        List<Observation> hotObs = all.stream().filter(o -> hot.contains(o.trueLabel())).toList();
        List<Observation> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(r.nextBoolean() ? hotObs.get(r.nextInt(hotObs.size())) : all.get(r.nextInt(all.size())));
        return out;
    }

    static List<Observation> mix(List<Observation> a, List<Observation> b, double share, int n, SplittableRandom r) {
        List<Observation> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(r.nextDouble() < share ? b.get(r.nextInt(b.size())) : a.get(r.nextInt(a.size())));
        return out;
    }

    /** Random keyboard-style typos: in a share of words, swap, drop, double or replace one letter. */
    static String typos(String text, double rate, SplittableRandom r) {
        String[] words = text.split(" ");
        for (int i = 0; i < words.length; i++) {
            String w = words[i];
            if (w.length() < 3 || r.nextDouble() >= rate) continue;
            int p = 1 + r.nextInt(w.length() - 2);
            char[] c = w.toCharArray();
            switch (r.nextInt(4)) {
                case 0 -> { char t = c[p]; c[p] = c[p + 1]; c[p + 1] = t; words[i] = new String(c); }
                case 1 -> words[i] = w.substring(0, p) + w.substring(p + 1);
                case 2 -> words[i] = w.substring(0, p) + w.charAt(p) + w.substring(p);
                default -> { c[p] = (char) ('a' + r.nextInt(26)); words[i] = new String(c); }
            }
        }
        return String.join(" ", words);
    }

    static List<String> titles(Path data) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<String> out = new ArrayList<>();
        for (String set : List.of("amazon-google", "walmart-amazon"))
            for (String line : Files.readAllLines(data.resolve("products").resolve(set).resolve("valid.jsonl"))) {
                JsonNode n = json.readTree(line);
                for (String side : List.of("left", "right")) {
                    String t = n.path(side).path("title").asText("");
                    if (!t.isBlank()) out.add(t);
                }
            }
        return out.stream().distinct().toList();
    }
}
