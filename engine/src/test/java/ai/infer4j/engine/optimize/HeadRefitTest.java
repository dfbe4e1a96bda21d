package ai.infer4j.engine.optimize;

import ai.infer4j.engine.task.HiddenLayer;
import ai.infer4j.engine.task.SoftmaxHead;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class HeadRefitTest {
    private static final int DIM = 16, CLASSES = 4;

    /** Points around four class centres; the "quantized" view of each is shrunk, shifted towards class a, a little noisy. */
    private static float[][][] data(long seed, int n, float[][] centres) {
        Random r = new Random(seed);
        float[][] clean = new float[n][DIM], shifted = new float[n][DIM];
        for (int i = 0; i < n; i++) {
            float[] c = centres[i % CLASSES];
            for (int d = 0; d < DIM; d++) {
                clean[i][d] = c[d] + (float) r.nextGaussian() * 0.8f;
                shifted[i][d] = 0.7f * clean[i][d] + 0.6f * centres[0][d] + (float) r.nextGaussian() * 0.02f;
            }
        }
        return new float[][][] {clean, shifted};
    }

    private static double agreement(SoftmaxHead a, float[][] xa, SoftmaxHead b, float[][] xb) {
        int same = 0;
        for (int i = 0; i < xa.length; i++) if (a.apply(xa[i]).label().equals(b.apply(xb[i]).label())) same++;
        return (double) same / xa.length;
    }

    @Test
    void refitHeadFollowsTheTeacherOnShiftedEmbeddings() {
        Random r = new Random(1);
        float[][] centres = new float[CLASSES][DIM];
        for (float[] c : centres) for (int d = 0; d < DIM; d++) c[d] = (float) r.nextGaussian();
        float[][] w = new float[CLASSES][];
        float[] b = new float[CLASSES];
        for (int k = 0; k < CLASSES; k++) w[k] = centres[k].clone(); // a nearest-centre-like linear head
        SoftmaxHead teacher = new SoftmaxHead("t", List.of("a", "b", "c", "d"), w, b, null, 0, null);

        float[][][] train = data(2, 2000, centres), test = data(3, 1000, centres);
        SoftmaxHead refit = HeadRefit.distill(teacher, train[0], train[1], new HeadRefit.Settings(5, 3e-3, 1, 0, 42));

        double before = agreement(teacher, test[0], teacher, test[1]);
        double after = agreement(teacher, test[0], refit, test[1]);
        assertThat(before).isLessThan(0.9);
        assertThat(after).isGreaterThan(0.95).isGreaterThan(before);
        assertThat(refit.labels()).isEqualTo(teacher.labels());
        assertThat(refit.training().path("refit").path("texts").asInt()).isEqualTo(2000);
        // deterministic for a seed
        SoftmaxHead again = HeadRefit.distill(teacher, train[0], train[1], new HeadRefit.Settings(5, 3e-3, 1, 0, 42));
        assertThat(again.weights()).isDeepEqualTo(refit.weights());
    }

    @Test
    void mlpHeadKeepsItsHiddenLayerAndItsSoftmaxLayerFollowsTheTeacher() {
        Random r = new Random(4);
        float[][] centres = new float[CLASSES][DIM];
        for (float[] c : centres) for (int d = 0; d < DIM; d++) c[d] = (float) r.nextGaussian();
        // hidden units: relu of +-centre directions, so the softmax layer can read the class off them
        float[][] hw = new float[2 * CLASSES][];
        for (int k = 0; k < CLASSES; k++) {
            hw[2 * k] = centres[k].clone();
            hw[2 * k + 1] = new float[DIM];
            for (int d = 0; d < DIM; d++) hw[2 * k + 1][d] = -centres[k][d];
        }
        HiddenLayer hidden = new HiddenLayer(hw, new float[2 * CLASSES], HiddenLayer.RELU);
        float[][] w = new float[CLASSES][2 * CLASSES];
        for (int k = 0; k < CLASSES; k++) {
            w[k][2 * k] = 1;
            w[k][2 * k + 1] = -1;
        }
        SoftmaxHead teacher = new SoftmaxHead("t", List.of("a", "b", "c", "d"), w, new float[CLASSES], null, 0, null, null, hidden);
        float[][][] train = data(5, 2000, centres), test = data(6, 1000, centres);
        SoftmaxHead refit = HeadRefit.distill(teacher, train[0], train[1], new HeadRefit.Settings(5, 3e-3, 1, 0, 42));
        assertThat(refit.hidden()).isSameAs(hidden);
        assertThat(refit.inputDim()).isEqualTo(DIM);
        double before = agreement(teacher, test[0], teacher, test[1]);
        double after = agreement(teacher, test[0], refit, test[1]);
        assertThat(after).isGreaterThan(before);
        assertThat(refit.training().path("refit").path("texts").asInt()).isEqualTo(2000);
    }
}
