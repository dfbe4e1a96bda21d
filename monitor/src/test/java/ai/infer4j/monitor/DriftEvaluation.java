package ai.infer4j.monitor;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.EngineOptions;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.TextInput;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.train.DataFiles;
import ai.infer4j.engine.train.EmbeddingCache;
import ai.infer4j.engine.train.LabeledText;
import ai.infer4j.engine.train.SoftmaxTrainer;
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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * The honest evaluation of the drift checks (a benchmark, not a unit test; run by monitor/bench/drift-eval.sh).
 * Every same-domain window is drawn from rows that neither the baseline nor the predicting head fitted:
 * <ol>
 * <li>the shipped intent head; baseline = CLINC150 train predicted out-of-fold (what {@code monitor baseline --data
 * train.jsonl} does); traffic = windows of CLINC150 valid (for contrast also against the head's in-sample train
 * predictions, the old behaviour);</li>
 * <li>held-out folds of train: a head re-fitted (same recipe) on a stratified half of train; baseline = that half
 * out-of-fold; traffic = the other half, 7,550 rows that head never saw;</li>
 * <li>shifts against baseline 1: Banking77 (other domain), product titles, typos, a class-mix shift, 10 % mixes;
 * detection rate over windows and delay in events after a switch.</li>
 * </ol>
 *
 * <pre>java -cp ... ai.infer4j.monitor.DriftEvaluation DATA_DIR [OUT] [WINDOW=600] [WINDOWS=100] [CACHE_DIR]</pre>
 */
public final class DriftEvaluation {
    private static final int SKETCH = EmbeddingSketch.DEFAULT_DIM;

    public static void main(String[] args) throws Exception {
        if (args.length < 1) throw new IllegalArgumentException("usage: DriftEvaluation DATA_DIR [OUT] [WINDOW] [WINDOWS] [CACHE_DIR]");
        Path data = Path.of(args[0]);
        Path out = Path.of(args.length > 1 ? args[1] : "target/drift-eval");
        int window = args.length > 2 ? Integer.parseInt(args[2]) : 600;
        int windows = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        Path cacheDir = Path.of(args.length > 4 ? args[4] : System.getProperty("user.home") + "/.cache/infer4j/embeddings");
        Files.createDirectories(out);
        Constraints c = Constraints.defaults();
        EmbeddingCache cache = new EmbeddingCache(cacheDir);
        try (Engine engine = Engine.create(EngineOptions.defaults())) {
            Model m = engine.load("intent");
            SoftmaxHead head = m.heads().get(0);
            CrossFit.Recipe recipe = CrossFit.Recipe.of(head.training());
            long t0 = System.nanoTime();
            List<LabeledText> train = DataFiles.readLabeled(data.resolve("clinc150/train.jsonl"));
            List<LabeledText> valid = DataFiles.readLabeled(data.resolve("clinc150/valid.jsonl"));
            Observer.Embedded eTrain = embed(m, cache, texts(train)), eValid = embed(m, cache, texts(valid));
            System.out.printf("embedded %d train + %d valid rows in %.0f s%n", train.size(), valid.size(), (System.nanoTime() - t0) / 1e9);

            // 1. the shipped head; baseline = train out-of-fold (as monitor baseline does), traffic = valid
            long tc = System.nanoTime();
            Prediction[] oof = CrossFit.outOfFold(head, recipe, eTrain.vectors(), labels(train), Monitor.FOLDS, 2);
            BaselineStatistics oofBase = stats(m, "clinc150/train.jsonl out-of-fold", Observer.observations(eTrain, i -> oof[i], labels(train), SKETCH));
            System.out.printf("cross-fitted baseline: %d folds in %.0f s; accuracy %.4f macro-F1 %.4f%n", Monitor.FOLDS,
                    (System.nanoTime() - tc) / 1e9, oofBase.accuracy(), oofBase.macroF1());
            BaselineStatistics inSample = stats(m, "clinc150/train.jsonl in-sample",
                    Observer.observations(eTrain, i -> m.predict(eTrain.vectors()[i]), labels(train), SKETCH));
            List<Observation> validObs = Observer.observations(eValid, i -> m.predict(eValid.vectors()[i]), labels(valid), SKETCH);
            BaselineStatistics validStats = stats(m, "valid", validObs);
            System.out.printf("in-sample train accuracy %.4f (mean confidence %.3f); out-of-fold %.4f (%.3f); valid %.4f (%.3f)%n",
                    inSample.accuracy(), mean(inSample.confidence()), oofBase.accuracy(), mean(oofBase.confidence()), validStats.accuracy(),
                    mean(validStats.confidence()));
            Monitor.writeBaseline(oofBase, c, out.resolve("baseline-train-oof"));

            sameDomain("valid windows vs train out-of-fold baseline (shipped head)", oofBase, validObs, window, windows, c, true);
            sameDomain("valid windows vs train IN-SAMPLE baseline (old behaviour)", inSample, validObs, window, windows, c, false);
            List<Observation> inScope = validObs.stream().filter(o -> !"oos".equals(o.trueLabel())).toList();
            sameDomain("valid in-scope only (no oos queries) vs train out-of-fold", oofBase, inScope, window, windows, c, false);

            // 2. held-out folds of train: head on one stratified half, baseline = that half out-of-fold, traffic = other half
            int[] half = CrossFit.folds(labels(train), 2, 11);
            List<Integer> a = new ArrayList<>(), b = new ArrayList<>();
            for (int i = 0; i < half.length; i++) (half[i] == 0 ? a : b).add(i);
            float[][] xa = a.stream().map(i -> eTrain.vectors()[i]).toArray(float[][]::new);
            List<String> ya = a.stream().map(i -> train.get(i).label()).toList();
            int[] yIdx = ya.stream().mapToInt(l -> head.labels().indexOf(l)).toArray();
            SoftmaxTrainer.Weights w = SoftmaxTrainer.train(xa, yIdx, head.labels().size(), recipe.learningRate(), recipe.l2(),
                    new int[] {recipe.epochs()}, recipe.seed(), () -> { }).get(0);
            SoftmaxHead halfHead = new SoftmaxHead("intent-half", head.labels(), w.w(), w.b(), head.oosLabel(), head.oosThreshold(), null);
            Prediction[] oofA = CrossFit.outOfFold(halfHead, recipe, xa, ya, Monitor.FOLDS, 2);
            Observer.Embedded ea = sub(eTrain, a), eb = sub(eTrain, b);
            BaselineStatistics halfBase = stats(m, "train half A out-of-fold", Observer.observations(ea, i -> oofA[i], ya, SKETCH));
            List<String> yb = b.stream().map(i -> train.get(i).label()).toList();
            List<Observation> halfTraffic = Observer.observations(eb, i -> halfHead.apply(eb.vectors()[i]), yb, SKETCH);
            sameDomain("train half B (unseen by the half-A head) vs half A out-of-fold", halfBase, halfTraffic, window, windows, c, true);

            // 3. shifts against the cross-fitted train baseline
            List<LabeledText> banking = DataFiles.readLabeled(data.resolve("banking77/valid.jsonl"));
            List<Observation> bankingObs = observe(m, cache, texts(banking), null);
            List<Observation> products = observe(m, cache, titles(data), null);
            SplittableRandom typoRng = new SplittableRandom(7);
            List<Observation> typos = observe(m, cache, valid.stream().map(v -> typos(v.text(), 0.25, typoRng)).toList(), labels(valid));
            System.out.printf("observed %d banking77, %d product titles, %d typo rows%n", bankingObs.size(), products.size(), typos.size());
            Map<String, List<Observation>> shifts = new LinkedHashMap<>();
            shifts.put("Banking77 valid (other domain)", bankingObs);
            shifts.put("product titles (other domain)", products);
            shifts.put("typos: 25% of words", typos);
            shifts.put("class mix: half the traffic from 10 intents", classMix(inScope, window * 4, new SplittableRandom(3)));
            shifts.put("10% Banking77 mixed in", mix(inScope, bankingObs, 0.10, window * 4, new SplittableRandom(5)));
            shifts.put("10% product titles mixed in", mix(inScope, products, 0.10, window * 4, new SplittableRandom(6)));
            shifts("shipped head, train out-of-fold baseline; before the switch and under the mixes: valid in-scope", oofBase, inScope, shifts,
                    window, windows, c);

            // 4. the same shifts in the clean setting: the half-A head, its out-of-fold baseline, half B before the switch
            Map<String, List<Observation>> halfShifts = new LinkedHashMap<>();
            halfShifts.put("Banking77 valid (other domain)", observeWith(halfHead, m, cache, texts(banking), null));
            List<Observation> halfProducts = observeWith(halfHead, m, cache, titles(data), null);
            halfShifts.put("product titles (other domain)", halfProducts);
            SplittableRandom typoRng2 = new SplittableRandom(7);
            halfShifts.put("typos: 25% of words", observeWith(halfHead, m, cache, valid.stream().map(v -> typos(v.text(), 0.25, typoRng2)).toList(),
                    labels(valid)));
            halfShifts.put("class mix: half the traffic from 10 intents", classMix(halfTraffic, window * 4, new SplittableRandom(3)));
            halfShifts.put("10% Banking77 mixed in", mix(halfTraffic, halfShifts.get("Banking77 valid (other domain)"), 0.10, window * 4,
                    new SplittableRandom(5)));
            halfShifts.put("10% product titles mixed in", mix(halfTraffic, halfProducts, 0.10, window * 4, new SplittableRandom(6)));
            shifts("half-A head, half-A out-of-fold baseline, before the switch: train half B", halfBase, halfTraffic, halfShifts, window, windows, c);
        }
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
            int preAlarms = 0;
            for (int seed = 0; delays.size() < 5 && seed < 20; seed++) {
                int d = delay(base, before, e.getValue(), window, 25, c.withSeed(seed), new SplittableRandom(seed));
                if (d == PRE_ALARM) preAlarms++;
                else delays.add(d);
            }
            System.out.printf("SHIFT %s: %d of %d windows of %d alarmed %s; delay after switch in events (checks every 25, 5 streams calm "
                    + "before the switch; %d streams skipped: alarm before it): %s%n", e.getKey(), detected, windows, window, why, preAlarms, delays);
        }
    }

    static final int PRE_ALARM = -2;

    static List<Observation> observeWith(SoftmaxHead head, Model m, EmbeddingCache cache, List<String> texts, List<String> truth) {
        Observer.Embedded e = embed(m, cache, texts);
        return Observer.observations(e, i -> head.apply(e.vectors()[i]), truth, SKETCH);
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
        return BaselineStatistics.of(m.name(), m.version(), source, m.labels(), obs, SKETCH, EmbeddingSketch.SEED, 42);
    }

    static Observer.Embedded embed(Model m, EmbeddingCache cache, List<String> texts) {
        return new Observer.Embedded(m.tokenize(texts.stream().map(TextInput::of).toList()),
                cache.embed(m.backbone(), texts, "embed", Progress.NONE));
    }

    static List<Observation> observe(Model m, EmbeddingCache cache, List<String> texts, List<String> truth) {
        Observer.Embedded e = embed(m, cache, texts);
        IntFunction<Prediction> p = i -> m.predict(e.vectors()[i]);
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
        return java.util.Arrays.stream(v).average().orElse(Double.NaN);
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
