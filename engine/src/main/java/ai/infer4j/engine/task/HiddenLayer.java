package ai.infer4j.engine.task;

import ai.infer4j.engine.error.ModelLoadException;

import java.util.Objects;

/**
 * The hidden layer of a two-layer (MLP) classification head: {@code h = act(weights · x + bias)}, read by the head's
 * softmax layer instead of the embedding itself. Immutable; safe for concurrent callers.
 *
 * @param weights    {@code [width][inputDim]}
 * @param bias       {@code [width]}
 * @param activation {@value #RELU} or {@value #GELU} (the tanh approximation)
 */
public record HiddenLayer(float[][] weights, float[] bias, String activation) {
    public static final String RELU = "relu";
    public static final String GELU = "gelu";

    public HiddenLayer {
        Objects.requireNonNull(activation, "activation");
        if (!activation.equals(RELU) && !activation.equals(GELU))
            throw new ModelLoadException("hidden layer activation must be '" + RELU + "' or '" + GELU + "', got '" + activation + "'");
        if (weights.length < 1) throw new ModelLoadException("hidden layer needs at least one unit");
        if (bias.length != weights.length)
            throw new ModelLoadException("hidden layer has " + weights.length + " weight rows but " + bias.length + " biases");
        int dim = weights[0].length;
        if (dim < 1) throw new ModelLoadException("hidden layer weight rows are empty");
        for (float[] row : weights)
            if (row.length != dim) throw new ModelLoadException("hidden layer has weight rows of different lengths");
    }

    /** Width of the embedding this layer reads. */
    public int inputDim() {
        return weights[0].length;
    }

    /** Number of hidden units (the width the softmax layer reads). */
    public int width() {
        return weights.length;
    }

    /** The hidden units of one embedding. */
    public float[] apply(float[] x) {
        float[] h = new float[weights.length];
        boolean relu = activation.equals(RELU);
        for (int j = 0; j < h.length; j++) {
            float a = bias[j] + SoftmaxHead.dot(weights[j], x);
            h[j] = relu ? Math.max(0f, a) : gelu(a);
        }
        return h;
    }

    /** GELU, tanh approximation: {@code 0.5 a (1 + tanh(sqrt(2/pi) (a + 0.044715 a^3)))}. */
    public static float gelu(float a) {
        return (float) (0.5 * a * (1 + Math.tanh(GELU_C * (a + 0.044715 * a * a * a))));
    }

    /** Derivative of {@link #gelu}. */
    public static float geluGrad(float a) {
        double u = GELU_C * (a + 0.044715 * a * a * a);
        double t = Math.tanh(u);
        return (float) (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * a * a));
    }

    private static final double GELU_C = Math.sqrt(2 / Math.PI);
}
