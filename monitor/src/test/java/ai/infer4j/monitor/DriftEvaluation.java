package ai.infer4j.monitor;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.EngineOptions;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.train.DataFiles;
import ai.infer4j.engine.train.LabeledText;
import ai.infer4j.monitor.baseline.Constraints;
import ai.infer4j.monitor.baseline.Observer;
import ai.infer4j.monitor.baseline.BaselineStatistics;
import ai.infer4j.monitor.capture.EmbeddingSketch;
import ai.infer4j.monitor.capture.Observation;
import ai.infer4j.monitor.drift.CheckResult;
import ai.infer4j.monitor.drift.DriftCheck;
import ai.infer4j.monitor.drift.SignalResult;
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

/**
 * The honest evaluation of the drift checks (a benchmark, not a unit test; run by scripts/monitor-eval.sh):
 * baseline on CLINC150 train, then 100 seeded windows of held-out valid traffic (false alarms), and
 * shifted traffic (typos, class-mix shift, product titles) for detection rate and delay in events.
 *
 * <pre>java -cp ... ai.infer4j.monitor.DriftEvaluation DATA_DIR OUT_DIR [window=500] [windows=100]</pre>
 */
public final class DriftEvaluation {
    public static void main(String[] args) throws Exception {
        if (args.length < 1) throw new IllegalArgumentException("usage: DriftEvaluation DATA_DIR [OUT] [WINDOW] [WINDOWS] (DATA_DIR: the shared data sets)");
        Path data = Path.of(args[0]);
        Path out = Path.of(args.length > 1 ? args[1] : "target/drift-eval");
        int window = args.length > 2 ? Integer.parseInt(args[2]) : 500;
        int windows = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        Files.createDirectories(out);
        Constraints c = Constraints.defaults();
        try (Engine engine = Engine.create(EngineOptions.defaults())) {
            Model m = engine.load("intent");
            long t0 = System.nanoTime();
            List<LabeledText> valid = DataFiles.readLabeled(data.resolve("clinc150/valid.jsonl"));
            // baseline on one half of the held-out data (stratified, seeded); traffic from the other half
            List<LabeledText> ref = new ArrayList<>(), heldOut = new ArrayList<>();
            Map<String, Integer> seen = new java.util.HashMap<>();
            List<LabeledText> shuffled = new ArrayList<>(valid);
            Collections.shuffle(shuffled, new java.util.Random(11));
            for (LabeledText v : shuffled) (seen.merge(v.label(), 1, Integer::sum) % 2 == 1 ? ref : heldOut).add(v);
            BaselineStatistics base = Monitor.baseline(m, ref, "clinc150/valid.jsonl (stratified half, seed 11)", EmbeddingSketch.DEFAULT_DIM,
                    (s, d, t) -> { });
            Monitor.writeBaseline(base, c, out.resolve("baseline"));
            System.out.printf("baseline: %d rows in %.1f s, accuracy %.4f%n", base.n(), (System.nanoTime() - t0) / 1e9, base.accuracy());
            List<Observation> same = observe(m, heldOut.stream().map(LabeledText::text).toList(), heldOut.stream().map(LabeledText::label).toList());
            SplittableRandom typoRng = new SplittableRandom(7);
            List<Observation> typos = observe(m, heldOut.stream().map(v -> typos(v.text(), 0.25, typoRng)).toList(),
                    heldOut.stream().map(LabeledText::label).toList());
            List<String> titles = titles(data);
            List<Observation> products = observe(m, titles, null);
            System.out.printf("observed %d held-out valid, %d typo, %d product titles%n", same.size(), typos.size(), products.size());
            if (args.length > 4 && args[4].equals("--train-baseline")) {
                BaselineStatistics train = Monitor.baseline(m, DataFiles.readLabeled(data.resolve("clinc150/train.jsonl")), "clinc150/train.jsonl",
                        EmbeddingSketch.DEFAULT_DIM, (s, d, t) -> { });
                Map<String, Integer> f = new TreeMap<>();
                int a = 0;
                for (int seed = 0; seed < windows; seed++) {
                    CheckResult r = DriftCheck.run(train, sample(same, window, new SplittableRandom(1000 + seed)), c.withSeed(seed));
                    if (r.alarm()) a++;
                    for (SignalResult s : r.violations()) f.merge(s.signal(), 1, Integer::sum);
                }
                System.out.printf("TRAIN BASELINE (accuracy %.4f) vs held-out windows: %d of %d alarmed (%s)%n", train.accuracy(), a, windows, f);
            }

            // 1. false alarms on same-distribution windows
            Map<String, Integer> fired = new TreeMap<>();
            int alarms = 0;
            long tc = System.nanoTime();
            for (int seed = 0; seed < windows; seed++) {
                CheckResult r = DriftCheck.run(base, sample(same, window, new SplittableRandom(1000 + seed)), c.withSeed(seed));
                if (r.alarm()) alarms++;
                for (SignalResult s : r.violations()) fired.merge(s.signal(), 1, Integer::sum);
                if (seed < 3) print("valid window seed " + seed, r);
            }
            System.out.printf("SAME-DISTRIBUTION: %d of %d windows of %d events alarmed (%s); %.2f s per check%n", alarms, windows, window,
                    fired, (System.nanoTime() - tc) / 1e9 / windows);

            // 2. shifted traffic: detection rate over windows, and delay in events after a switch
            Map<String, List<Observation>> shifts = new LinkedHashMap<>();
            shifts.put("typos (25% of words)", typos);
            shifts.put("class mix (half the traffic from 10 intents)", classMix(same, window * 4, new SplittableRandom(3)));
            shifts.put("product titles (other domain)", products);
            shifts.put("10% product titles mixed in", mix(same, products, 0.10, window * 4, new SplittableRandom(5)));
            for (var e : shifts.entrySet()) {
                int detected = 0;
                Map<String, Integer> why = new TreeMap<>();
                int reps = windows;
                for (int seed = 0; seed < reps; seed++) {
                    CheckResult r = DriftCheck.run(base, sample(e.getValue(), window, new SplittableRandom(2000 + seed)), c.withSeed(seed));
                    if (r.alarm()) detected++;
                    for (SignalResult s : r.violations()) why.merge(s.signal(), 1, Integer::sum);
                    if (seed == 0) print(e.getKey() + " seed 0", r);
                }
                List<Integer> delays = new ArrayList<>();
                for (int seed = 0; seed < 5; seed++) delays.add(delay(base, same, e.getValue(), window, c.withSeed(seed), new SplittableRandom(seed)));
                System.out.printf("SHIFT %s: %d of %d windows of %d flagged (%s); delay after switch (events, 5 seeds, sliding window %d, check every 10): %s%n",
                        e.getKey(), detected, reps, window, why, window, delays);
            }
        }
    }

    /** Events after a switch from {@code before} to {@code after} until a check of the last {@code window} events alarms (-1: never within 2 windows). */
    static int delay(BaselineStatistics base, List<Observation> before, List<Observation> after, int window, Constraints c, SplittableRandom r) {
        List<Observation> stream = new ArrayList<>(sample(before, window, r));
        List<Observation> shifted = sample(after, 2 * window, r);
        for (int k = 0; k < shifted.size(); k++) {
            stream.add(shifted.get(k));
            if ((k + 1) % 10 != 0) continue;
            List<Observation> w = stream.subList(stream.size() - window, stream.size());
            if (DriftCheck.run(base, w, c).alarm()) return k + 1;
        }
        return -1;
    }

    static void print(String what, CheckResult r) {
        StringBuilder sb = new StringBuilder(what + ":");
        for (SignalResult s : r.signals())
            sb.append(String.format(Locale.ROOT, " %s=%s(%.4f,p=%.2g)", s.signal(), s.status().name().toLowerCase(Locale.ROOT).substring(0, 2),
                    s.value(), s.p()));
        System.out.println(sb);
    }

    static List<Observation> observe(Model m, List<String> texts, List<String> truth) {
        return Observer.observe(m, texts, truth, EmbeddingSketch.DEFAULT_DIM, (s, d, t) -> { });
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
