package ai.infer4j.engine.task;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class PredictionTest {
    @Property(tries = 200)
    void topKHoldsTheKLargestProbabilitiesInOrder(@ForAll @Size(min = 1, max = 40) List<@FloatRange(min = 0, max = 1) Float> values,
                                                   @ForAll @IntRange(min = 1, max = 10) int k) {
        float[] p = new float[values.size()];
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < p.length; i++) {
            p[i] = values.get(i);
            labels.add("l" + i);
        }
        var top = new Prediction("l0", p[0], labels, p).top(k);
        List<Float> expected = values.stream().sorted(Comparator.reverseOrder()).limit(k).toList();
        assertThat(top.values().stream().map(Double::floatValue).toList()).isEqualTo(expected);
    }

    @Property(tries = 100)
    void dotEqualsTheNaiveSum(@ForAll @Size(min = 0, max = 50) List<@FloatRange(min = -1, max = 1) Float> values) {
        float[] w = new float[values.size()], x = new float[values.size()];
        double naive = 0;
        for (int i = 0; i < w.length; i++) {
            w[i] = values.get(i);
            x[i] = values.get(values.size() - 1 - i);
            naive += (double) w[i] * x[i];
        }
        assertThat((double) SoftmaxHead.dot(w, x)).isCloseTo(naive, within(1e-4));
    }
}
