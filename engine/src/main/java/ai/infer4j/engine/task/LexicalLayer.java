package ai.infer4j.engine.task;

import ai.infer4j.engine.error.ModelLoadException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Class scores read from the words of the text itself, added to a softmax head's logits (a product of two experts: the
 * frozen embedding and the surface form). Features ({@link #features}): lower-cased word unigrams ({@code w:}), word
 * bigrams ({@code b:}) and character 3-, 4- and 5-grams of the space-joined words ({@code c:}); a text's vector is the
 * L2-normalised {@code (1 + ln tf) * idf} of the features in {@code vocab} (others are dropped). Logits are
 * {@code scale * (weights . vector + bias)}.
 *
 * @param vocab   feature names, sorted (binary-searchable, byte-stable JSON)
 * @param idf     weight of each feature, {@code ln((N + 1) / (df + 1)) + 1} over the training texts
 * @param weights {@code [labels][vocab]}
 * @param bias    {@code [labels]}
 * @param scale   how much the lexical logits count against the embedding's (chosen by cross-validation)
 *
 * <p>A layer made by {@link #quantized} keeps its weights as signed bytes and one step per label row
 * ({@code weight = q * rowScale}); head JSON then stores them as base64 bytes ({@code weightsInt8}), a quarter of the
 * float size before any text overhead, and reads back the very same floats.
 */
public final class LexicalLayer {
    /** Describes the features, written into head JSON. */
    public static final String FEATURES = "word 1-2 grams and char 3-5 grams of lower-cased [a-z0-9'] words; (1+ln tf)*idf, L2-normalised";

    private final List<String> vocab;
    private final float[] idf;
    private final float[][] weights;
    private final float[] bias;
    private final double scale;
    private final Map<String, Integer> lookup;
    /** Signed-byte weights {@code [labels][vocab]} and their per-row steps, or null for float weights. */
    private final byte[][] quantized;
    private final float[] rowScale;

    public LexicalLayer(List<String> vocab, float[] idf, float[][] weights, float[] bias, double scale) {
        this(vocab, idf, weights, bias, scale, null, null);
    }

    /** A layer whose weights are {@code q[k][j] * rowScale[k]} (as floats). */
    public static LexicalLayer quantized(List<String> vocab, float[] idf, byte[][] q, float[] rowScale, float[] bias, double scale) {
        if (q.length != rowScale.length)
            throw new ModelLoadException("lexical layer has " + q.length + " quantized weight rows but " + rowScale.length + " row scales");
        float[][] w = new float[q.length][];
        for (int k = 0; k < q.length; k++) {
            if (!(rowScale[k] >= 0) || Float.isInfinite(rowScale[k]))
                throw new ModelLoadException("lexical layer row scales must be finite and >= 0, row " + k + " has " + rowScale[k]);
            w[k] = new float[q[k].length];
            for (int j = 0; j < w[k].length; j++) w[k][j] = q[k][j] * rowScale[k];
        }
        return new LexicalLayer(vocab, idf, w, bias, scale, q, rowScale);
    }

    /**
     * Rounds each row of {@code weights} to signed bytes ({@code -127..127}) with the step {@code max |w| / 127}: the
     * largest weight of a row keeps its value, the error of any other is at most half a step.
     */
    public static LexicalLayer quantize(List<String> vocab, float[] idf, float[][] weights, float[] bias, double scale) {
        byte[][] q = new byte[weights.length][];
        float[] step = new float[weights.length];
        for (int k = 0; k < weights.length; k++) {
            float max = 0;
            for (float v : weights[k]) max = Math.max(max, Math.abs(v));
            step[k] = max / 127f;
            q[k] = new byte[weights[k].length];
            if (step[k] > 0)
                for (int j = 0; j < q[k].length; j++) q[k][j] = (byte) Math.max(-127, Math.min(127, Math.round(weights[k][j] / step[k])));
        }
        return quantized(vocab, idf, q, step, bias, scale);
    }

    private LexicalLayer(List<String> vocab, float[] idf, float[][] weights, float[] bias, double scale, byte[][] quantized,
                         float[] rowScale) {
        vocab = List.copyOf(vocab);
        if (vocab.isEmpty()) throw new ModelLoadException("lexical layer has an empty vocabulary");
        for (int i = 1; i < vocab.size(); i++)
            if (vocab.get(i - 1).compareTo(vocab.get(i)) >= 0)
                throw new ModelLoadException("lexical layer vocabulary must be sorted and without duplicates (at '" + vocab.get(i) + "')");
        if (idf.length != vocab.size())
            throw new ModelLoadException("lexical layer has " + vocab.size() + " features but " + idf.length + " idf weights");
        if (weights.length == 0 || bias.length != weights.length)
            throw new ModelLoadException("lexical layer has " + weights.length + " weight rows but " + bias.length + " biases");
        for (float[] row : weights)
            if (row.length != vocab.size())
                throw new ModelLoadException("lexical layer weight rows must have " + vocab.size() + " values, one has " + row.length);
        if (!(scale > 0) || Double.isInfinite(scale)) throw new ModelLoadException("lexical layer scale must be > 0, got " + scale);
        this.vocab = vocab;
        this.idf = idf;
        this.weights = weights;
        this.bias = bias;
        this.scale = scale;
        this.lookup = index(vocab);
        this.quantized = quantized;
        this.rowScale = rowScale;
    }

    /** The signed-byte weights of a quantized layer ({@code weights = q * rowScale}), or null. */
    public byte[][] quantizedWeights() {
        return quantized;
    }

    /** The per-row steps of a quantized layer, or null. */
    public float[] rowScale() {
        return rowScale;
    }

    /** The same layer with another scale. */
    public LexicalLayer withScale(double newScale) {
        return new LexicalLayer(vocab, idf, weights, bias, newScale, quantized, rowScale);
    }

    public List<String> vocab() {
        return vocab;
    }

    public float[] idf() {
        return idf;
    }

    public float[][] weights() {
        return weights;
    }

    public float[] bias() {
        return bias;
    }

    public double scale() {
        return scale;
    }

    /** A text as sparse feature indices into {@code vocab} and their values (L2 norm 1, or no entries). */
    public record Sparse(int[] index, float[] value) {
    }

    /** The feature names of a text, with repeats (see the class comment). */
    public static List<String> features(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        String lower = text.toLowerCase(Locale.ROOT);
        for (int i = 0; i <= lower.length(); i++) {
            char c = i < lower.length() ? lower.charAt(i) : ' ';
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'') w.append(c);
            else if (!w.isEmpty()) {
                words.add(w.toString());
                w.setLength(0);
            }
        }
        List<String> out = new ArrayList<>();
        for (String s : words) out.add("w:" + s);
        for (int i = 1; i < words.size(); i++) out.add("b:" + words.get(i - 1) + "_" + words.get(i));
        String joined = " " + String.join(" ", words) + " ";
        for (int n = 3; n <= 5; n++)
            for (int i = 0; i + n <= joined.length(); i++) out.add("c:" + joined.substring(i, i + n));
        return out;
    }

    /** Term counts of a text's features, in feature-name order. */
    public static Map<String, Integer> counts(String text) {
        Map<String, Integer> tf = new TreeMap<>();
        for (String f : features(text)) tf.merge(f, 1, Integer::sum);
        return tf;
    }

    /** The sparse vector of {@code text} over {@code vocab} with {@code idf}. */
    public static Sparse vector(String text, Map<String, Integer> index, float[] idf) {
        Map<String, Integer> tf = counts(text);
        int[] ix = new int[tf.size()];
        float[] val = new float[tf.size()];
        int m = 0;
        double norm = 0;
        for (Map.Entry<String, Integer> e : tf.entrySet()) {
            Integer j = index.get(e.getKey());
            if (j == null) continue;
            float v = (float) ((1 + Math.log(e.getValue())) * idf[j]);
            ix[m] = j;
            val[m++] = v;
            norm += (double) v * v;
        }
        float inv = norm > 0 ? (float) (1 / Math.sqrt(norm)) : 0;
        for (int i = 0; i < m; i++) val[i] *= inv;
        return new Sparse(java.util.Arrays.copyOf(ix, m), java.util.Arrays.copyOf(val, m));
    }

    /** Feature name to position in {@code vocab}. */
    public static Map<String, Integer> index(List<String> vocab) {
        Map<String, Integer> ix = new HashMap<>(vocab.size() * 2);
        for (int i = 0; i < vocab.size(); i++) ix.put(vocab.get(i), i);
        return ix;
    }

    /** Number of classes. */
    public int classes() {
        return weights.length;
    }

    /** The sparse vector of {@code text}. */
    public Sparse vector(String text) {
        return vector(text, lookup, idf);
    }

    /** Scaled lexical logits of {@code text}, one per class. */
    public double[] logits(String text) {
        return logits(vector(text), weights, bias, scale);
    }

    /** {@code scale * (weights . v + bias)}. */
    public static double[] logits(Sparse v, float[][] weights, float[] bias, double scale) {
        double[] z = new double[weights.length];
        for (int k = 0; k < z.length; k++) {
            double s = bias[k];
            float[] w = weights[k];
            for (int i = 0; i < v.index().length; i++) s += w[v.index()[i]] * v.value()[i];
            z[k] = scale * s;
        }
        return z;
    }

}
