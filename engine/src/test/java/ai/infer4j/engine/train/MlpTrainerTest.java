package ai.infer4j.engine.train;

import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.HiddenLayer;
import ai.infer4j.engine.task.SoftmaxHead;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class MlpTrainerTest {
    private static final List<String> LABELS = List.of("same", "different");

    /** XOR of the signs of the first two coordinates (plus 6 noise coordinates, offset and scaled): no linear head can learn it. */
    private static Object[] xor(long seed, int n) {
        Random r = new Random(seed);
        float[][] x = new float[n][8];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < 8; d++) x[i][d] = (float) r.nextGaussian();
            y[i] = (x[i][0] > 0) == (x[i][1] > 0) ? 0 : 1;
            for (int d = 0; d < 8; d++) x[i][d] = x[i][d] * 3 + 5; // raw scale and offset: the trainer standardises
        }
        return new Object[] {x, y};
    }

    private static double accuracy(SoftmaxHead h, float[][] x, int[] y) {
        int ok = 0;
        for (int i = 0; i < x.length; i++) if (h.topLabel(x[i]).equals(LABELS.get(y[i]))) ok++;
        return (double) ok / x.length;
    }

    private static SoftmaxHead head(MlpTrainer.Network n) {
        return new SoftmaxHead("t", LABELS, n.w(), n.b(), null, 0, null, null, n.hidden());
    }

    @Test
    void mlpLearnsXorThatALinearHeadCannotAndIsDeterministicWhateverTheThreads() {
        Object[] train = xor(1, 1500), test = xor(2, 1000);
        float[][] x = (float[][]) train[0], xt = (float[][]) test[0];
        int[] y = (int[]) train[1], yt = (int[]) test[1];
        var p = new MlpTrainer.Params(32, HiddenLayer.RELU, 3e-3, 0.01, 0.1, 0.05, 2);
        List<MlpTrainer.Network> nets = MlpTrainer.train(x, y, 2, p, new int[] {5, 30}, 7, 2, () -> { });
        assertThat(nets).extracting(MlpTrainer.Network::epochs).containsExactly(5, 30);
        assertThat(nets.get(1).hidden().width()).isEqualTo(64); // two members side by side

        SoftmaxTrainer.Weights linear = SoftmaxTrainer.train(x, y, 2, 1e-2, 1e-3, new int[] {30}, 7, () -> { }).get(0);
        double linearAcc = accuracy(new SoftmaxHead("l", LABELS, linear.w(), linear.b(), null, 0, null), xt, yt);
        double mlpAcc = accuracy(head(nets.get(1)), xt, yt);
        assertThat(linearAcc).isLessThan(0.65);
        assertThat(mlpAcc).isGreaterThan(0.9);

        // one thread or two: the same bits
        List<MlpTrainer.Network> again = MlpTrainer.train(x, y, 2, p, new int[] {5, 30}, 7, 1, () -> { });
        assertThat(again.get(1).hidden().weights()).isDeepEqualTo(nets.get(1).hidden().weights());
        assertThat(again.get(1).w()).isDeepEqualTo(nets.get(1).w());
        assertThat(again.get(1).b()).containsExactly(nets.get(1).b());
        // a snapshot at 5 epochs is what a 5-epoch run gives
        List<MlpTrainer.Network> five = MlpTrainer.train(x, y, 2, p, new int[] {5}, 7, 2, () -> { });
        assertThat(five.get(0).hidden().weights()).isDeepEqualTo(nets.get(0).hidden().weights());
        // another seed, other weights
        List<MlpTrainer.Network> other = MlpTrainer.train(x, y, 2, p, new int[] {5}, 8, 2, () -> { });
        assertThat(other.get(0).hidden().weights()).isNotEqualTo(nets.get(0).hidden().weights());
    }

    @Test
    void ensembleLogitsAreTheMeanOfItsMembersLogits() {
        Object[] train = xor(3, 300);
        float[][] x = (float[][]) train[0];
        int[] y = (int[]) train[1];
        var one = new MlpTrainer.Params(8, HiddenLayer.GELU, 3e-3, 0, 0, 0, 1);
        MlpTrainer.Network a = MlpTrainer.trainOne(x, y, 2, one, new int[] {3}, 11, () -> { }).get(0);
        MlpTrainer.Network b = MlpTrainer.trainOne(x, y, 2, one, new int[] {3}, 12, () -> { }).get(0);
        MlpTrainer.Network both = MlpTrainer.train(x, y, 2, new MlpTrainer.Params(8, HiddenLayer.GELU, 3e-3, 0, 0, 0, 2), new int[] {3}, 11, 2,
                () -> { }).get(0);
        for (int i = 0; i < 20; i++) {
            double[] za = head(a).logits(x[i]), zb = head(b).logits(x[i]), z = head(both).logits(x[i]);
            for (int c = 0; c < 2; c++) assertThat(z[c]).isCloseTo((za[c] + zb[c]) / 2, within(1e-4));
        }
    }

    @Test
    void forwardPassMatchesAHandComputation() {
        // h = relu(W1 x + b1): x = (1, 2) -> pre = (1*1 + 2*-1 + 0.5, 1*2 + 2*1 - 1) = (-0.5, 3) -> h = (0, 3)
        HiddenLayer relu = new HiddenLayer(new float[][] {{1, -1}, {2, 1}}, new float[] {0.5f, -1}, HiddenLayer.RELU);
        SoftmaxHead head = new SoftmaxHead("t", LABELS, new float[][] {{1, 2}, {-1, 0.5f}}, new float[] {0, 1}, null, 0, null, null, relu);
        assertThat(head.inputDim()).isEqualTo(2);
        double[] z = head.logits(new float[] {1, 2});
        // z = W2 h + b2 = (0*1 + 3*2 + 0, 0*-1 + 3*0.5 + 1) = (6, 2.5)
        assertThat(z[0]).isCloseTo(6, within(1e-6));
        assertThat(z[1]).isCloseTo(2.5, within(1e-6));
        assertThat(head.apply(new float[] {1, 2}).label()).isEqualTo("same");
        assertThat(head.apply(new float[] {1, 2}).probabilities()[0]).isCloseTo((float) (1 / (1 + Math.exp(-3.5))), within(1e-6f));
        // gelu(a) = 0.5 a (1 + tanh(sqrt(2/pi) (a + 0.044715 a^3))): gelu(-0.5) = -0.154286, gelu(3) = 2.996363
        HiddenLayer gelu = new HiddenLayer(relu.weights(), relu.bias(), HiddenLayer.GELU);
        float[] h = gelu.apply(new float[] {1, 2});
        assertThat(h[0]).isCloseTo(-0.154286f, within(1e-5f));
        assertThat(h[1]).isCloseTo(2.996363f, within(1e-5f));
        // the derivative the trainer uses agrees with a central difference
        for (float a : new float[] {-2f, -0.5f, 0f, 0.7f, 3f})
            assertThat(HiddenLayer.geluGrad(a)).isCloseTo((HiddenLayer.gelu(a + 1e-3f) - HiddenLayer.gelu(a - 1e-3f)) / 2e-3f, within(2e-3f));
        assertThatThrownBy(() -> head.apply(new float[] {1, 2, 3})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void mlpHeadJsonRoundTripsByteForByte(@TempDir Path dir) throws Exception {
        Object[] train = xor(4, 200);
        var p = new MlpTrainer.Params(6, HiddenLayer.RELU, 3e-3, 0.01, 0.2, 0.1, 2);
        MlpTrainer.Network n = MlpTrainer.train((float[][]) train[0], (int[]) train[1], 2, p, new int[] {2}, 5, 1, () -> { }).get(0);
        var meta = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        p.put(meta.putObject("selected")).put("epochs", 2);
        SoftmaxHead head = new SoftmaxHead("mlp-test", LABELS, n.w(), n.b(), null, 0, meta, null, n.hidden());
        Path file = dir.resolve("h.json");
        HeadFiles.write(head, file);
        String json = Files.readString(file);
        assertThat(json).contains("\"type\" : \"mlp\"").contains("\"activation\" : \"relu\"").contains("\"width\" : 12");
        SoftmaxHead read = HeadFiles.read(file);
        assertThat(read.hidden().weights()).isDeepEqualTo(head.hidden().weights());
        assertThat(read.hidden().bias()).containsExactly(head.hidden().bias());
        assertThat(read.weights()).isDeepEqualTo(head.weights());
        assertThat(read.inputDim()).isEqualTo(8);
        assertThat(MlpTrainer.Params.of(read.training().get("selected"))).isEqualTo(p);
        float[] x = ((float[][]) train[0])[0];
        assertThat(read.logits(x)).containsExactly(head.logits(x));
        Path again = dir.resolve("again.json");
        HeadFiles.write(read, again);
        assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(file));
        // a linear head is still written as type softmax
        HeadFiles.write(new SoftmaxHead("lin", LABELS, new float[][] {{1, 0}, {0, 1}}, new float[2], null, 0, null), dir.resolve("lin.json"));
        assertThat(Files.readString(dir.resolve("lin.json"))).contains("\"type\" : \"softmax\"").doesNotContain("hidden");
    }

    @Test
    void inconsistentLayersAreRefused(@TempDir Path dir) throws Exception {
        HiddenLayer h = new HiddenLayer(new float[][] {{1, 2}, {3, 4}, {5, 6}}, new float[3], HiddenLayer.RELU);
        assertThatThrownBy(() -> new SoftmaxHead("t", LABELS, new float[][] {{1, 2}, {3, 4}}, new float[2], null, 0, null, null, h))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("3 hidden units but softmax weights of width 2");
        assertThatThrownBy(() -> new HiddenLayer(new float[][] {{1}}, new float[1], "tanh"))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("relu");
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"format\": \"infer4j-head/1\", \"type\": \"mlp\", \"labels\": [\"a\", \"b\"], \"weights\": [[1], [2]], \"bias\": [0, 0]}");
        assertThatThrownBy(() -> HeadFiles.read(bad)).isInstanceOf(ModelLoadException.class).hasMessageContaining("'hidden'");
        assertThatThrownBy(() -> new MlpTrainer.Params(0, HiddenLayer.RELU, 1e-3, 0, 0, 0, 1)).hasMessageContaining("hidden units");
        assertThatThrownBy(() -> new MlpTrainer.Params(8, HiddenLayer.RELU, 1e-3, 0, 1.0, 0, 1)).hasMessageContaining("dropout");
    }
}
