package ai.infer4j.finetune;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How to fine-tune: the top {@code layers} encoder layers and a linear classifier on the backbone's pooled, L2-normalised
 * output (times {@code scale}) train together with AdamW (learning rate {@code learningRate} for the encoder,
 * {@code headLearningRate} for the classifier, linear warm-up over {@code warmupFraction} of the steps, then linear decay
 * to 0), label-smoothed cross-entropy, dropout {@code dropout} inside the trained layers; {@code seed} fixes the
 * shuffles and the dropout masks; {@code threads} is the thread count of ONNX Runtime (frozen layers) and PyTorch
 * (the same count gives the same bytes).
 */
public record FineTuneOptions(int layers, int epochs, int batchSize, double learningRate, double headLearningRate,
                              double weightDecay, double warmupFraction, float dropout, double labelSmoothing, float scale,
                              long seed, int maxLength, int threads) {
    public FineTuneOptions {
        if (layers < 1) throw new IllegalArgumentException("layers must be >= 1, got " + layers);
        if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        if (!(learningRate > 0) || !(headLearningRate > 0))
            throw new IllegalArgumentException("learning rates must be > 0, got " + learningRate + " and " + headLearningRate);
        if (weightDecay < 0) throw new IllegalArgumentException("weightDecay must be >= 0, got " + weightDecay);
        if (warmupFraction < 0 || warmupFraction >= 1) throw new IllegalArgumentException("warmupFraction must be in [0, 1), got " + warmupFraction);
        if (dropout < 0 || dropout >= 1) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        if (labelSmoothing < 0 || labelSmoothing >= 1) throw new IllegalArgumentException("labelSmoothing must be in [0, 1), got " + labelSmoothing);
        if (!(scale > 0)) throw new IllegalArgumentException("scale must be > 0, got " + scale);
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        if (maxLength < 8) throw new IllegalArgumentException("maxLength must be >= 8, got " + maxLength);
    }

    /** Every field, for result files and metadata. */
    public void put(ObjectNode o) {
        o.put("layers", layers);
        o.put("epochs", epochs);
        o.put("batchSize", batchSize);
        o.put("learningRate", learningRate);
        o.put("headLearningRate", headLearningRate);
        o.put("weightDecay", weightDecay);
        o.put("warmupFraction", warmupFraction);
        o.put("dropout", dropout);
        o.put("labelSmoothing", labelSmoothing);
        o.put("scale", scale);
        o.put("seed", seed);
        o.put("maxLength", maxLength);
        o.put("threads", threads);
    }

    /** The recipe the README documents (top 2 layers, 5 epochs, encoder step 2e-4). */
    public static FineTuneOptions defaults() {
        return new FineTuneOptions(2, 5, 32, 2e-4, 3e-3, 0.01, 0.1, 0.1f, 0.1, 20f, 42, 128, 2);
    }

    public FineTuneOptions withLayers(int k) {
        return new FineTuneOptions(k, epochs, batchSize, learningRate, headLearningRate, weightDecay, warmupFraction, dropout, labelSmoothing, scale, seed, maxLength, threads);
    }

    public FineTuneOptions withEpochs(int e) {
        return new FineTuneOptions(layers, e, batchSize, learningRate, headLearningRate, weightDecay, warmupFraction, dropout, labelSmoothing, scale, seed, maxLength, threads);
    }

    public FineTuneOptions withLearningRates(double encoder, double head) {
        return new FineTuneOptions(layers, epochs, batchSize, encoder, head, weightDecay, warmupFraction, dropout, labelSmoothing, scale, seed, maxLength, threads);
    }

    public FineTuneOptions withSeed(long s) {
        return new FineTuneOptions(layers, epochs, batchSize, learningRate, headLearningRate, weightDecay, warmupFraction, dropout, labelSmoothing, scale, s, maxLength, threads);
    }
}
