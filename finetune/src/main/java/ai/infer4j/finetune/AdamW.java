package ai.infer4j.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (decoupled weight decay) over named tensors. Weight decay applies to matrices only (not biases or LayerNorm
 * scales); parameters named {@code classifier.*} take the head's learning rate. Gradients are zeroed after each step.
 */
final class AdamW {
    private static final double BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;
    private final Map<String, NDArray> params;
    private final Map<String, NDArray[]> moments = new LinkedHashMap<>();
    private long t;

    AdamW(Map<String, NDArray> params, NDManager manager) {
        this.params = params;
        for (Map.Entry<String, NDArray> e : params.entrySet())
            moments.put(e.getKey(), new NDArray[]{manager.zeros(e.getValue().getShape()), manager.zeros(e.getValue().getShape())});
    }

    /** One update; temporary tensors go to {@code step}. */
    void step(NDManager step, double encoderRate, double headRate, double weightDecay) {
        t++;
        double c1 = 1 - Math.pow(BETA1, t), c2 = 1 - Math.pow(BETA2, t);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray p = e.getValue();
            NDArray g = p.getGradient();
            g.attach(step);
            NDArray[] mv = moments.get(e.getKey());
            double lr = e.getKey().startsWith("classifier.") ? headRate : encoderRate;
            mv[0].muli(BETA1).addi(g.mul(1 - BETA1));
            mv[1].muli(BETA2).addi(g.square().muli(1 - BETA2));
            if (weightDecay > 0 && p.getShape().dimension() == 2) p.muli(1 - lr * weightDecay);
            NDArray den = mv[1].div(c2);
            den.attach(step);
            den = den.sqrt().addi(EPS);
            NDArray upd = mv[0].div(c1);
            upd.attach(step);
            p.subi(upd.divi(den).muli(lr));
            g.muli(0);
        }
    }
}
