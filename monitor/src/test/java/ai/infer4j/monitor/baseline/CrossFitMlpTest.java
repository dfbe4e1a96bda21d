package ai.infer4j.monitor.baseline;

import ai.infer4j.engine.task.HiddenLayer;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.train.MlpTrainer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** An MLP head's cross-fit re-trains fold heads with its own MLP recipe (not the linear trainer). */
class CrossFitMlpTest {
    @Test
    void mlpHeadIsReFittedAsAnMlpOutOfFold() {
        // XOR of two signs: a linear fold head would be near chance, an MLP fold head is not
        Random r = new Random(9);
        int n = 1200;
        float[][] x = new float[n][6];
        List<String> truth = new ArrayList<>();
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < 6; d++) x[i][d] = (float) r.nextGaussian();
            y[i] = (x[i][0] > 0) == (x[i][1] > 0) ? 0 : 1;
            truth.add(y[i] == 0 ? "a" : "b");
        }
        var p = new MlpTrainer.Params(16, HiddenLayer.RELU, 3e-3, 0.01, 0.1, 0.05, 1);
        MlpTrainer.Network net = MlpTrainer.train(x, y, 2, p, new int[] {25}, 42, 1, () -> { }).get(0);
        ObjectNode meta = new ObjectMapper().createObjectNode();
        meta.put("seed", 42);
        meta.putObject("data").putObject("train").put("rows", n);
        ObjectNode sel = p.put(meta.putObject("selected"));
        sel.put("epochs", 25);
        SoftmaxHead head = new SoftmaxHead("xor", List.of("a", "b"), net.w(), net.b(), null, 0, meta, null, net.hidden());

        CrossFit.Recipe recipe = CrossFit.Recipe.of(head.training());
        assertThat(recipe).isNotNull();
        assertThat(recipe.mlp()).isEqualTo(p);
        assertThat(recipe.epochs()).isEqualTo(25);

        Prediction[] oof = CrossFit.outOfFold(head, recipe, x, truth, 5, 2);
        int ok = 0;
        for (int i = 0; i < n; i++) if (oof[i].label().equals(truth.get(i))) ok++;
        assertThat((double) ok / n).isGreaterThan(0.85);
        // a linear head's metadata still gives a linear recipe
        ObjectNode lin = new ObjectMapper().createObjectNode();
        lin.putObject("selected").put("learningRate", 1e-3).put("l2", 1e-2).put("epochs", 10);
        assertThat(CrossFit.Recipe.of(lin).mlp()).isNull();
    }
}
