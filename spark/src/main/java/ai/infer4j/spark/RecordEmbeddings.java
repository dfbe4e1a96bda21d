package ai.infer4j.spark;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.task.BiEncoderPair;
import ai.infer4j.engine.task.PairScore;
import ai.infer4j.engine.tokenize.Tokens;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.Function;

import static org.apache.spark.sql.functions.col;

/**
 * Bi-encoder pair scoring that embeds each distinct record once per job, not once per partition: (1) every row's
 * two record texts are worked out (cheap, no forward pass); (2) the distinct texts, hash-partitioned so that equal
 * texts meet, are embedded in length-sorted batches spread evenly over the cores; (3) the rows join their two
 * vectors back and the pair head scores them. With records shared by several pairs (the product-matching case) this
 * does the same forward passes as the engine in-process, however many partitions the job has; per-partition
 * dedupe ({@link PartitionScorer}) embeds a record shared by pairs in k partitions k times.
 */
final class RecordEmbeddings {
    static final String LEFT_TEXT = "_infer4j_left_text", RIGHT_TEXT = "_infer4j_right_text", ROW_ERROR = "_infer4j_row_error";
    /** Distinct texts embedded together in a partition (text and vector: about 2 KB each). */
    static final int EMBED_CHUNK = 4096;
    private static final String TEXT = "_infer4j_text", VECTOR = "_infer4j_vector", TEXT_ERROR = "_infer4j_text_error";

    private RecordEmbeddings() {
    }

    /** {@code in} scored: its columns plus score, label, error (schema {@code outSchema}). */
    static Dataset<Row> score(Dataset<Row> in, StructType outSchema, BatchOptions options, InputColumns columns,
                              PartitionScorer.Counters counters, int embedPartitions) {
        StructType schema = in.schema();
        StructType withTexts = schema.add(LEFT_TEXT, DataTypes.StringType, true).add(RIGHT_TEXT, DataTypes.StringType, true)
                .add(ROW_ERROR, DataTypes.StringType, true);
        Dataset<Row> rows = in.mapPartitions(new Texts(options, columns), Encoders.row(withTexts));
        Dataset<Row> texts = rows.select(col(LEFT_TEXT).as(TEXT)).union(rows.select(col(RIGHT_TEXT).as(TEXT))).where(col(TEXT).isNotNull())
                .repartition(embedPartitions, col(TEXT));
        StructType vectorSchema = new StructType().add(TEXT, DataTypes.StringType, false).add(VECTOR, DataTypes.BinaryType, true)
                .add(TEXT_ERROR, DataTypes.StringType, true);
        Dataset<Row> vectors = texts.mapPartitions(new Embed(options, counters), Encoders.row(vectorSchema));
        Dataset<Row> left = vectors.toDF("_l_text", "_l_vector", "_l_error"), right = vectors.toDF("_r_text", "_r_vector", "_r_error");
        Dataset<Row> joined = rows.join(left, rows.col(LEFT_TEXT).equalTo(left.col("_l_text")), "left_outer")
                .join(right, rows.col(RIGHT_TEXT).equalTo(right.col("_r_text")), "left_outer");
        return joined.mapPartitions(new Head(options, columns, schema.size(), counters), Encoders.row(outSchema));
    }

    /** Step 1: each row with its left and right record texts, or why it has none. */
    private record Texts(BatchOptions options, InputColumns columns) implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            BiEncoderPair bi = biEncoder(ModelCache.get(options));
            return map(input, r -> {
                Object[] v = copy(r, 3);
                try {
                    PairInput p = columns.pair(r);
                    v[r.length()] = bi.text(p.left(), "left");
                    v[r.length() + 1] = bi.text(p.right(), "right");
                } catch (BadInputException e) {
                    v[r.length()] = null;
                    v[r.length() + 1] = null;
                    v[r.length() + 2] = e.getMessage();
                }
                return RowFactory.create(v);
            });
        }
    }

    /**
     * Step 2: the partition's distinct texts, embedded in chunks of at least {@value #EMBED_CHUNK} (sorted by length
     * inside a chunk, so a forward pass pads little), {@link Model#BULK_BATCH} sequences per pass as in-process.
     */
    private record Embed(BatchOptions options, PartitionScorer.Counters counters) implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            Model model = ModelCache.get(options);
            Set<String> seen = new HashSet<>();
            return new Iterator<>() {
                private Iterator<Row> chunk = Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    while (!chunk.hasNext() && input.hasNext()) {
                        int n = Math.max(EMBED_CHUNK, options.batchRows());
                        List<String> texts = new ArrayList<>(n);
                        while (texts.size() < n && input.hasNext()) {
                            String t = input.next().getString(0);
                            if (seen.add(t)) texts.add(t);
                        }
                        chunk = embed(model, texts).iterator();
                    }
                    return chunk.hasNext();
                }

                @Override
                public Row next() {
                    if (!hasNext()) throw new NoSuchElementException();
                    return chunk.next();
                }
            };
        }

        private List<Row> embed(Model model, List<String> texts) {
            BiEncoderPair bi = biEncoder(model);
            long t0 = System.nanoTime();
            List<Row> out = new ArrayList<>(texts.size());
            List<String> ok = new ArrayList<>(texts.size());
            List<Tokens> tokens = new ArrayList<>(texts.size());
            for (String t : texts) {
                try {
                    tokens.add(bi.tokens(t, model.backbone().tokenizer()));
                    ok.add(t);
                } catch (BadInputException e) {
                    out.add(RowFactory.create(t, null, e.getMessage()));
                }
            }
            float[][] v;
            try {
                v = model.backbone().forwardAll(tokens, Model.BULK_BATCH, n -> { });
            } catch (RuntimeException batchFailed) {
                // something in this chunk broke the batch (not a plain bad input): embed one by one to isolate it
                v = new float[tokens.size()][];
                for (int i = 0; i < tokens.size(); i++) {
                    try {
                        v[i] = model.backbone().forwardAll(List.of(tokens.get(i)), 1, n -> { })[0];
                    } catch (RuntimeException e) {
                        out.add(RowFactory.create(ok.get(i), null, e.getClass().getSimpleName() + ": " + e.getMessage()));
                    }
                }
            }
            for (int i = 0; i < ok.size(); i++) if (v[i] != null) out.add(RowFactory.create(ok.get(i), bytes(v[i]), null));
            counters.embedded().add(tokens.size());
            counters.scoringNanos().add(System.nanoTime() - t0);
            return out;
        }
    }

    /** Step 3: each row with its two vectors through the pair head; the original columns plus score, label, error. */
    private record Head(BatchOptions options, InputColumns columns, int width, PartitionScorer.Counters counters)
            implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            BiEncoderPair bi = biEncoder(ModelCache.get(options));
            return map(input, r -> {
                long t0 = System.nanoTime();
                Object[] v = new Object[width + 3];
                for (int k = 0; k < width; k++) v[k] = r.get(k);
                String error = r.getString(width + 2);
                byte[] lv = (byte[]) r.get(width + 4), rv = (byte[]) r.get(width + 7);
                if (error == null && lv == null) error = "left: " + r.getString(width + 5);
                if (error == null && rv == null) error = "right: " + r.getString(width + 8);
                if (error == null) {
                    try {
                        PairScore s = bi.score(columns.pair(r), floats(lv), floats(rv));
                        v[width] = s.score();
                        v[width + 1] = s.label();
                    } catch (BadInputException e) {
                        error = e.getMessage();
                    }
                }
                v[width + 2] = error;
                counters.rows().add(1);
                if (error != null) counters.errors().add(1);
                if (Integer.valueOf(1).equals(v[width + 1])) counters.positives().add(1);
                counters.scoringNanos().add(System.nanoTime() - t0);
                return RowFactory.create(v);
            });
        }
    }

    /** The model's bi-encoder task; null when it is another kind of model (then this pipeline does not apply). */
    static BiEncoderPair biEncoder(Model model) {
        return model.task() instanceof BiEncoderPair bi ? bi : null;
    }

    private static Iterator<Row> map(Iterator<Row> in, Function<Row, Row> f) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return in.hasNext();
            }

            @Override
            public Row next() {
                return f.apply(in.next());
            }
        };
    }

    private static Object[] copy(Row r, int extra) {
        Object[] v = new Object[r.length() + extra];
        for (int k = 0; k < r.length(); k++) v[k] = r.get(k);
        return v;
    }

    static byte[] bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    static float[] floats(byte[] bytes) {
        float[] v = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }
}
