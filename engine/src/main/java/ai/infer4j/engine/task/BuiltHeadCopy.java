package ai.infer4j.engine.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A softmax head as built from its JSON, written field by field (format 3 of the head cache): no JSON tree, no decimal
 * numbers, no base64 to read back, only the training metadata stays JSON. The floats are the head's own floats, so the
 * head read back is the same head bit for bit (and {@link HeadFiles#write} writes the same bytes for it). Every copy
 * starts with the SHA-256 of the JSON it was built from; {@link #read} refuses a copy of other JSON. Pair heads are not
 * written this way (they keep the JSON-tree copy of {@link HeadCache}).
 */
final class BuiltHeadCopy {
    static final byte[] MAGIC = "infer4j-head-bin/3\n".getBytes(StandardCharsets.US_ASCII);
    private static final int END = 0x48454144; // "HEAD"
    private static final ObjectMapper JSON = new ObjectMapper();

    private BuiltHeadCopy() {
    }

    /** The copy's bytes: magic, {@code sha256} (32 bytes, of the head's JSON), the head's fields, an end mark. */
    static byte[] write(SoftmaxHead h, byte[] sha256) throws IOException {
        if (sha256.length != 32) throw new IllegalArgumentException("a SHA-256 has 32 bytes");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 20);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.write(sha256);
            string(out, h.name());
            strings(out, h.labels());
            out.writeBoolean(h.oosLabel() != null);
            if (h.oosLabel() != null) string(out, h.oosLabel());
            out.writeDouble(h.oosThreshold());
            byte[] training = h.training() == null ? null : JSON.writeValueAsBytes(h.training());
            out.writeInt(training == null ? -1 : training.length);
            if (training != null) out.write(training);
            OutOfScopeScore o = h.oosScore();
            out.writeBoolean(o != null);
            if (o != null) {
                floats(out, o.centroids());
                for (double d : new double[] {o.energyMean(), o.energyStd(), o.distanceMean(), o.distanceStd(), o.threshold()})
                    out.writeDouble(d);
            }
            HiddenLayer hidden = h.hidden();
            out.writeBoolean(hidden != null);
            if (hidden != null) {
                floats(out, hidden.weights());
                floats(out, hidden.bias());
                string(out, hidden.activation());
            }
            floats(out, h.weights());
            floats(out, h.bias());
            LexicalLayer l = h.lexical();
            out.writeBoolean(l != null);
            if (l != null) {
                strings(out, l.vocab());
                floats(out, l.idf());
                out.writeBoolean(l.quantizedWeights() != null);
                if (l.quantizedWeights() != null) {
                    out.writeInt(l.quantizedWeights().length);
                    for (byte[] row : l.quantizedWeights()) {
                        out.writeInt(row.length);
                        out.write(row);
                    }
                    floats(out, l.rowScale());
                } else {
                    floats(out, l.weights());
                }
                floats(out, l.bias());
                out.writeDouble(l.scale());
            }
            out.writeInt(END);
        }
        return bytes.toByteArray();
    }

    /**
     * The head in {@code copy}, or null when the copy was built from other JSON than the one whose SHA-256 is
     * {@code sha256}. A damaged copy throws (IOException or a RuntimeException, e.g. from the head's own checks).
     */
    static SoftmaxHead read(byte[] copy, byte[] sha256) throws IOException {
        try {
            return readChecked(copy, sha256);
        } catch (BufferUnderflowException e) {
            throw new IOException("built-head copy ends early", e);
        }
    }

    private static SoftmaxHead readChecked(byte[] copy, byte[] sha256) throws IOException {
        if (copy.length < MAGIC.length + 32 + 4 || !Arrays.equals(copy, 0, MAGIC.length, MAGIC, 0, MAGIC.length))
            throw new IOException("not an infer4j built-head copy");
        if (!Arrays.equals(copy, MAGIC.length, MAGIC.length + 32, sha256, 0, 32)) return null;
        ByteBuffer in = ByteBuffer.wrap(copy);
        in.position(MAGIC.length + 32);
        String name = string(in);
        List<String> labels = strings(in);
        String oosLabel = in.get() != 0 ? string(in) : null;
        double oosThreshold = in.getDouble();
        int trainingLength = in.getInt();
        JsonNode training = null;
        if (trainingLength >= 0) {
            training = JSON.readTree(copy, in.position(), trainingLength);
            in.position(in.position() + trainingLength);
        }
        OutOfScopeScore oos = null;
        if (in.get() != 0) {
            float[][] centroids = floats2(in);
            oos = new OutOfScopeScore(centroids, in.getDouble(), in.getDouble(), in.getDouble(), in.getDouble(), in.getDouble());
        }
        HiddenLayer hidden = null;
        if (in.get() != 0) {
            float[][] w = floats2(in);
            float[] b = floats(in);
            hidden = new HiddenLayer(w, b, string(in));
        }
        float[][] weights = floats2(in);
        float[] bias = floats(in);
        LexicalLayer lexical = null;
        if (in.get() != 0) {
            List<String> vocab = strings(in);
            float[] idf = floats(in);
            if (in.get() != 0) {
                byte[][] q = new byte[count(in, 4)][];
                for (int k = 0; k < q.length; k++) {
                    q[k] = new byte[count(in, 1)];
                    in.get(q[k]);
                }
                float[] rowScale = floats(in);
                float[] lb = floats(in);
                lexical = LexicalLayer.quantized(vocab, idf, q, rowScale, lb, in.getDouble());
            } else {
                float[][] lw = floats2(in);
                float[] lb = floats(in);
                lexical = new LexicalLayer(vocab, idf, lw, lb, in.getDouble());
            }
        }
        if (in.getInt() != END || in.hasRemaining()) throw new IOException("built-head copy does not end where it should");
        return new SoftmaxHead(name, labels, weights, bias, oosLabel, oosThreshold, training, oos, hidden, lexical);
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static void strings(DataOutputStream out, List<String> list) throws IOException {
        out.writeInt(list.size());
        for (String s : list) string(out, s);
    }

    private static void floats(DataOutputStream out, float[] v) throws IOException {
        out.writeInt(v.length);
        ByteBuffer b = ByteBuffer.allocate(4 * v.length);
        b.asFloatBuffer().put(v);
        out.write(b.array());
    }

    private static void floats(DataOutputStream out, float[][] rows) throws IOException {
        out.writeInt(rows.length);
        for (float[] row : rows) floats(out, row);
    }

    /** A length read from the copy, checked against what is left ({@code unit} bytes per element at least). */
    private static int count(ByteBuffer in, int unit) throws IOException {
        int n = in.getInt();
        if (n < 0 || (long) n * unit > in.remaining()) throw new IOException("bad length " + n + " in built-head copy");
        return n;
    }

    private static String string(ByteBuffer in) throws IOException {
        int n = count(in, 1);
        String s = new String(in.array(), in.position(), n, StandardCharsets.UTF_8);
        in.position(in.position() + n);
        return s;
    }

    private static List<String> strings(ByteBuffer in) throws IOException {
        int n = count(in, 4);
        List<String> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) list.add(string(in));
        return list;
    }

    private static float[] floats(ByteBuffer in) throws IOException {
        float[] v = new float[count(in, 4)];
        FloatBuffer f = in.asFloatBuffer();
        f.get(v);
        in.position(in.position() + 4 * v.length);
        return v;
    }

    private static float[][] floats2(ByteBuffer in) throws IOException {
        float[][] rows = new float[count(in, 4)][];
        for (int k = 0; k < rows.length; k++) rows[k] = floats(in);
        return rows;
    }
}
