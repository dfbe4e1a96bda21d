package ai.infer4j.finetune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.backbone.PoolingMode;
import ai.infer4j.engine.data.LabeledText;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.tokenize.TextTokenizer;
import ai.infer4j.engine.tokenize.Tokens;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * Fine-tunes the top layers of a BERT encoder and a linear classifier on labelled texts, on the CPU with PyTorch.
 * The frozen lower layers run once over every text (no gradients) and their output is kept per text; each step then
 * runs only the trained layers on a batch of texts of similar length. Same data, weights, options and thread count
 * give the same weights.
 */
public final class FineTuner {
    private static final Logger log = LoggerFactory.getLogger(FineTuner.class);
    private static final int LOWER_BATCH = 64;

    private FineTuner() {
    }

    /**
     * The fine-tuned model: its encoder (to export), the classifier, what each epoch scored on the valid texts and the
     * final model's logits of each valid text ({@code [valid][labels]}, in the order given; empty without valid texts).
     */
    public record Result(TorchBert bert, List<String> labels, float[][] classifier, float[] bias, List<Double> validAccuracy,
                         List<Double> trainLoss, float[][] validLogits) { }

    /**
     * Trains on {@code train}; scores {@code valid} (may be empty) after every epoch. The returned model's tensors live
     * in {@code manager}.
     */
    public static Result train(BertWeights weights, Path tokenizer, PoolingMode pooling, List<LabeledText> train,
                               List<LabeledText> valid, FineTuneOptions o, NDManager manager, Progress progress) {
        if (pooling == PoolingMode.CLS_MEAN)
            throw new IllegalArgumentException("fine-tuning supports [CLS] or mean pooling, not [CLS, mean]");
        BertConfig c = weights.config();
        if (o.layers() > c.layers())
            throw new IllegalArgumentException("cannot fine-tune " + o.layers() + " layers of a " + c.layers() + "-layer encoder");
        List<String> labels = new ArrayList<>(new TreeSet<>(train.stream().map(LabeledText::label).toList()));
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) index.put(labels.get(i), i);
        for (LabeledText t : valid)
            if (!index.containsKey(t.label())) throw new IllegalArgumentException("valid label '" + t.label() + "' is not in the training data");
        Engine.getInstance().setRandomSeed((int) o.seed());
        int from = c.layers() - o.layers();
        TorchBert bert = TorchBert.load(weights, manager, from);
        Encoded tr = Encoded.of(tokenizer, train, index, o.maxLength());
        Encoded va = Encoded.of(tokenizer, valid, index, o.maxLength());
        float[][] lowerTrain = lower(weights, bert, tr, from, o.threads(), "frozen layers (train)", progress);
        float[][] lowerValid = lower(weights, bert, va, from, o.threads(), "frozen layers (valid)", progress);

        int h = c.hidden(), k = labels.size();
        NDArray w = manager.zeros(new Shape(h, k));
        NDArray b = manager.zeros(new Shape(k));
        w.setRequiresGradient(true);
        b.setRequiresGradient(true);
        Map<String, NDArray> params = new LinkedHashMap<>(bert.trainable());
        params.put("classifier.weight", w);
        params.put("classifier.bias", b);
        AdamW adam = new AdamW(params, manager);

        Random rnd = new Random(o.seed());
        int stepsPerEpoch = (tr.size() + o.batchSize() - 1) / o.batchSize();
        long total = (long) stepsPerEpoch * o.epochs(), warmup = Math.round(total * o.warmupFraction());
        List<Double> accs = new ArrayList<>(), losses = new ArrayList<>();
        float[][] validLogits = new float[0][];
        long step = 0;
        for (int epoch = 0; epoch < o.epochs(); epoch++) {
            double lossSum = 0;
            List<int[]> batches = batches(tr, o.batchSize(), rnd);
            for (int[] rows : batches) {
                double f = step < warmup ? (step + 1.0) / warmup : Math.max(0, (double) (total - step) / Math.max(1, total - warmup));
                try (NDManager s = manager.newSubManager()) {
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = logits(bert, s, lowerTrain, tr, rows, from, pooling, o, w, b, true);
                        NDArray loss = smoothedCrossEntropy(s, logits, tr, rows, o.labelSmoothing());
                        lossSum += loss.getFloat() * rows.length;
                        gc.backward(loss);
                    }
                    adam.step(s, f * o.learningRate(), f * o.headLearningRate(), o.weightDecay());
                }
                step++;
                progress.update("fine-tune epoch " + (epoch + 1) + "/" + o.epochs(), step - (long) epoch * stepsPerEpoch, stepsPerEpoch);
            }
            losses.add(lossSum / tr.size());
            if (va.size() > 0) {
                validLogits = logits(bert, manager, lowerValid, va, from, pooling, o, w, b);
                accs.add(accuracy(validLogits, va.labels));
            }
            log.info("epoch {}: train loss {}, valid accuracy {}", epoch + 1, losses.get(epoch), va.size() > 0 ? accs.get(epoch) : "-");
        }
        float[] wv = w.toFloatArray();
        float[][] classifier = new float[k][h];
        for (int j = 0; j < k; j++) for (int d = 0; d < h; d++) classifier[j][d] = o.scale() * wv[d * k + j];
        return new Result(bert, labels, classifier, b.toFloatArray(), accs, losses, validLogits);
    }

    /** Logits {@code [n, labels]} of some rows: trained layers, pooling, L2 normalisation, scale, classifier. */
    private static NDArray logits(TorchBert bert, NDManager s, float[][] lower, Encoded e, int[] rows, int from,
                                  PoolingMode pooling, FineTuneOptions o, NDArray w, NDArray b, boolean training) {
        int h = bert.config().hidden(), len = 0;
        int[] lengths = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            lengths[i] = e.ids[rows[i]].length;
            len = Math.max(len, lengths[i]);
        }
        float[] x = new float[rows.length * len * h];
        for (int i = 0; i < rows.length; i++) System.arraycopy(lower[rows[i]], 0, x, i * len * h, lengths[i] * h);
        NDArray hidden = bert.layers(s.create(x, new Shape(rows.length, len, h)), bert.maskBias(s, lengths, len), from,
                bert.config().layers(), training, o.dropout());
        NDArray pooled;
        if (pooling == PoolingMode.CLS) {
            pooled = hidden.get(new NDIndex(":, 0, :"));
        } else {
            float[] m = new float[rows.length * len];
            for (int i = 0; i < rows.length; i++) Arrays.fill(m, i * len, i * len + lengths[i], 1f);
            NDArray mask = s.create(m, new Shape(rows.length, len, 1));
            float[] inv = new float[rows.length];
            for (int i = 0; i < rows.length; i++) inv[i] = 1f / lengths[i];
            pooled = hidden.mul(mask).sum(new int[]{1}).mul(s.create(inv, new Shape(rows.length, 1)));
        }
        NDArray unit = pooled.div(pooled.norm(new int[]{1}, true).maximum(1e-12f));
        return unit.mul(o.scale()).matMul(w).add(b);
    }

    private static NDArray smoothedCrossEntropy(NDManager s, NDArray logits, Encoded e, int[] rows, double eps) {
        int k = (int) logits.getShape().get(1);
        float[] target = new float[rows.length * k];
        float off = (float) (eps / k), on = (float) (1 - eps + eps / k);
        Arrays.fill(target, off);
        for (int i = 0; i < rows.length; i++) target[i * k + e.labels[rows[i]]] = on;
        return logits.logSoftmax(1).mul(s.create(target, new Shape(rows.length, k))).sum(new int[]{1}).mean().neg();
    }

    /** Logits {@code [rows][labels]} of every text of {@code e}, in its order (no dropout). */
    private static float[][] logits(TorchBert bert, NDManager manager, float[][] lower, Encoded e, int from, PoolingMode pooling,
                                    FineTuneOptions o, NDArray w, NDArray b) {
        float[][] out = new float[e.size()][];
        for (int[] rows : sortedBatches(e, LOWER_BATCH))
            try (NDManager s = manager.newSubManager()) {
                float[] z = logits(bert, s, lower, e, rows, from, pooling, o, w, b, false).toFloatArray();
                int k = z.length / rows.length;
                for (int i = 0; i < rows.length; i++) out[rows[i]] = Arrays.copyOfRange(z, i * k, (i + 1) * k);
            }
        return out;
    }

    /** Share of rows whose largest logit is their label's (ties: the first label). */
    static double accuracy(float[][] logits, int[] labels) {
        int right = 0;
        for (int i = 0; i < logits.length; i++) {
            int best = 0;
            for (int j = 1; j < logits[i].length; j++) if (logits[i][j] > logits[i][best]) best = j;
            if (best == labels[i]) right++;
        }
        return (double) right / logits.length;
    }

    /**
     * Hidden states after the frozen layers {@code [0, from)} of every text, {@code [length * hidden]} each: run by ONNX
     * Runtime on the graph cut after layer {@code from - 1}, or the PyTorch embeddings when every layer trains.
     */
    private static float[][] lower(BertWeights weights, TorchBert bert, Encoded e, int from, int threads, String stage, Progress progress) {
        float[][] out = new float[e.size()][];
        int h = bert.config().hidden(), done = 0;
        try (NDManager m = NDManager.newBaseManager(); LowerLayers ort = from == 0 ? null : new LowerLayers(weights.model(), from, threads)) {
            for (int[] rows : sortedBatches(e, LOWER_BATCH)) {
                int len = 0;
                long[][] ids = new long[rows.length][], types = new long[rows.length][];
                int[] lengths = new int[rows.length];
                for (int i = 0; i < rows.length; i++) {
                    ids[i] = e.ids[rows[i]];
                    types[i] = e.types[rows[i]];
                    lengths[i] = ids[i].length;
                    len = Math.max(len, lengths[i]);
                }
                float[] x;
                if (ort != null) {
                    x = ort.run(ids, types, len);
                } else {
                    try (NDManager s = m.newSubManager()) {
                        x = bert.embed(s, ids, types, len).toFloatArray();
                    }
                }
                for (int i = 0; i < rows.length; i++) out[rows[i]] = Arrays.copyOfRange(x, i * len * h, (i * len + lengths[i]) * h);
                done += rows.length;
                progress.update(stage, done, e.size());
            }
        }
        return out;
    }

    /** Batches of rows in length order (for passes without training). */
    private static List<int[]> sortedBatches(Encoded e, int size) {
        Integer[] order = new Integer[e.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> e.ids[i].length).thenComparingInt(i -> i));
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < order.length; i += size) {
            int[] rows = new int[Math.min(size, order.length - i)];
            for (int j = 0; j < rows.length; j++) rows[j] = order[i + j];
            out.add(rows);
        }
        return out;
    }

    /**
     * One epoch's training batches: a seeded shuffle, cut into pools of 8 batches, each pool sorted by length and cut
     * into batches (little padding), then the batches shuffled.
     */
    static List<int[]> batches(Encoded e, int size, Random rnd) {
        int n = e.size();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        List<int[]> out = new ArrayList<>();
        int pool = size * 8;
        for (int p = 0; p < n; p += pool) {
            Integer[] chunk = new Integer[Math.min(pool, n - p)];
            for (int i = 0; i < chunk.length; i++) chunk[i] = perm[p + i];
            Arrays.sort(chunk, Comparator.comparingInt((Integer i) -> e.ids[i].length).thenComparingInt(i -> i));
            for (int i = 0; i < chunk.length; i += size) {
                int[] rows = new int[Math.min(size, chunk.length - i)];
                for (int j = 0; j < rows.length; j++) rows[j] = chunk[i + j];
                out.add(rows);
            }
        }
        for (int i = out.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int[] t = out.get(i);
            out.set(i, out.get(j));
            out.set(j, t);
        }
        return out;
    }

    /** Tokenized texts and their label indices. */
    record Encoded(long[][] ids, long[][] types, int[] labels) {
        int size() {
            return ids.length;
        }

        static Encoded of(Path tokenizer, List<LabeledText> rows, Map<String, Integer> index, int maxLength) {
            long[][] ids = new long[rows.size()][], types = new long[rows.size()][];
            int[] labels = new int[rows.size()];
            try (TextTokenizer tok = TextTokenizer.load(tokenizer, maxLength, 100_000, true)) {
                for (int i = 0; i < rows.size(); i++) {
                    Tokens t = tok.encode(TextInput.of(rows.get(i).text()));
                    ids[i] = t.ids();
                    types[i] = t.typeIds();
                    labels[i] = index.get(rows.get(i).label());
                }
            }
            return new Encoded(ids, types, labels);
        }
    }
}
