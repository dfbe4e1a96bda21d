package ai.infer4j.monitor;

import ai.infer4j.monitor.baseline.BaselineStatistics;
import ai.infer4j.monitor.capture.Observation;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Small synthetic traffic: three classes, confidences, lengths and 4-d sketches, optionally shifted. */
public final class Synthetic {
    public static final List<String> LABELS = List.of("a", "b", "c");

    private Synthetic() {
    }

    /**
     * {@code n} observations; {@code shift} 0 is the reference traffic, 1 moves the class mix towards "c",
     * lowers confidence, lengthens inputs, moves the sketches and raises the novelty score (standard normal at 0). Every
     * tenth is mislabelled.
     */
    public static List<Observation> traffic(int n, double shift, long seed) {
        SplittableRandom r = new SplittableRandom(seed), rn = new SplittableRandom(seed ^ 0x5eedL);
        List<Observation> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble();
            String label = u < 0.4 - 0.3 * shift ? "a" : u < 0.8 - 0.5 * shift ? "b" : "c";
            double score = Math.min(1, Math.max(0, 0.85 - 0.3 * shift + 0.1 * (r.nextDouble() - 0.5)));
            int tokens = 6 + r.nextInt(6) + (int) Math.round(8 * shift * r.nextDouble());
            float[] sketch = new float[4];
            for (int d = 0; d < 4; d++) sketch[d] = (float) (shift + r.nextDouble() - 0.5);
            String truth = i % 10 == 0 ? (label.equals("a") ? "b" : "a") : label;
            out.add(new Observation("e" + seed + "-" + i, 1_700_000_000_000L + i * 1000L, label, score, tokens, false, 0, sketch, truth,
                    rn.nextGaussian() + 3 * shift));
        }
        return out;
    }

    public static BaselineStatistics baseline(int n, long seed) {
        return BaselineStatistics.of("toy", "1", "synthetic", LABELS, traffic(n, 0, seed), 4, 0, 7);
    }
}
