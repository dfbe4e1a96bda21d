package ai.infer4j.spark;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.PairBatch;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Classifier;
import ai.infer4j.engine.task.PairScore;
import ai.infer4j.engine.task.Plan;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.task.Request;
import ai.infer4j.engine.tokenize.Tokens;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Scores one partition: takes the executor's cached model, reads {@code batchRows} rows at a time,
 * embeds each distinct record once per partition and appends {@code score}, {@code label} and
 * {@code error} to every row. A row that cannot be scored gets its reason in {@code error}; it never
 * fails the task.
 */
final class PartitionScorer implements MapPartitionsFunction<Row, Row> {
    /** Distinct record embeddings kept per partition before the cache starts over (~150 MB at 384-d). */
    static final int MAX_CACHED_RECORDS = 100_000;

    private final BatchOptions options;
    private final InputColumns columns;
    private final Counters counters;

    /** The job's accumulators: rows, errors, positives, nanoseconds spent scoring (tokenize + forward + head), records embedded. */
    record Counters(LongAccumulator rows, LongAccumulator errors, LongAccumulator positives, LongAccumulator scoringNanos,
                    LongAccumulator embedded) implements Serializable {
    }

    PartitionScorer(BatchOptions options, InputColumns columns, Counters counters) {
        this.options = options;
        this.columns = columns;
        this.counters = counters;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        Model model = ModelCache.get(options);
        Map<String, float[]> cache = new HashMap<>();
        return new Iterator<>() {
            private Iterator<Row> chunk = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!chunk.hasNext() && input.hasNext()) chunk = scoreChunk(model, input, cache).iterator();
                return chunk.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                return chunk.next();
            }
        };
    }

    private List<Row> scoreChunk(Model model, Iterator<Row> input, Map<String, float[]> cache) {
        List<Row> in = new ArrayList<>(options.batchRows());
        while (in.size() < options.batchRows() && input.hasNext()) in.add(input.next());
        if (cache.size() > MAX_CACHED_RECORDS) cache.clear();
        long t0 = System.nanoTime();
        int cached = cache.size();
        Outcome[] out;
        try {
            out = options.task().equals("pair") ? pairs(model, in, cache) : texts(model, in);
        } catch (RuntimeException chunkFailed) {
            // something in this chunk broke the batch (not a plain bad input): score row by row to isolate it
            out = new Outcome[in.size()];
            for (int i = 0; i < in.size(); i++) {
                try {
                    out[i] = (options.task().equals("pair") ? pairs(model, List.of(in.get(i)), cache) : texts(model, List.of(in.get(i))))[0];
                } catch (RuntimeException e) {
                    out[i] = Outcome.failed(e.getClass().getSimpleName() + ": " + e.getMessage());
                }
            }
        }
        counters.scoringNanos().add(System.nanoTime() - t0);
        counters.embedded().add(Math.max(0, cache.size() - cached));
        List<Row> result = new ArrayList<>(in.size());
        long bad = 0, pos = 0;
        for (int i = 0; i < in.size(); i++) {
            Row r = in.get(i);
            Object[] v = new Object[r.length() + 3];
            for (int k = 0; k < r.length(); k++) v[k] = r.get(k);
            v[r.length()] = out[i].score;
            v[r.length() + 1] = out[i].label;
            v[r.length() + 2] = out[i].error;
            if (out[i].error != null) bad++;
            if (Integer.valueOf(1).equals(out[i].label)) pos++;
            result.add(RowFactory.create(v));
        }
        counters.rows().add(in.size());
        counters.errors().add(bad);
        counters.positives().add(pos);
        return result;
    }

    /** What a row gets: {@code score} and {@code label} (an Integer for pairs, a String for classify), or an error. */
    private record Outcome(Double score, Object label, String error) {
        static Outcome failed(String error) {
            return new Outcome(null, null, error);
        }
    }

    private Outcome[] pairs(Model model, List<Row> in, Map<String, float[]> cache) {
        Outcome[] out = new Outcome[in.size()];
        List<PairInput> pairs = new ArrayList<>();
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            try {
                pairs.add(columns.pair(in.get(i)));
                at.add(i);
            } catch (BadInputException e) {
                out[i] = Outcome.failed(e.getMessage());
            }
        }
        List<PairBatch.Result> results = PairBatch.score(model, pairs, cache, Model.BULK_BATCH);
        for (int k = 0; k < results.size(); k++) {
            PairBatch.Result r = results.get(k);
            PairScore s = r.score();
            out[at.get(k)] = r.error() != null ? Outcome.failed(r.error().getMessage()) : new Outcome(s.score(), s.label(), null);
        }
        return out;
    }

    /** Classify: the model's own two steps ({@code plan}, then {@code answers}), each distinct text run once. */
    private Outcome[] texts(Model model, List<Row> in) {
        if (!(model.task() instanceof Classifier)) model.predict(null); // refuses with the reason, as Model.classify does
        Outcome[] out = new Outcome[in.size()];
        Map<String, Plan> distinct = new LinkedHashMap<>(); // one plan per distinct text: a bad text fails only its rows
        String[] text = new String[in.size()];
        for (int i = 0; i < in.size(); i++) {
            try {
                text[i] = columns.text(in.get(i));
                if (!distinct.containsKey(text[i])) distinct.put(text[i], model.plan(Request.of(text[i])));
            } catch (BadInputException e) {
                out[i] = Outcome.failed(e.getMessage());
            }
        }
        List<Tokens> sequences = new ArrayList<>(distinct.size());
        for (Plan p : distinct.values()) sequences.addAll(p.sequences());
        float[][] v = model.backbone().forwardAll(sequences, Model.BULK_BATCH, n -> { });
        Map<String, Prediction> byText = new HashMap<>();
        int k = 0;
        for (Map.Entry<String, Plan> e : distinct.entrySet())
            byText.put(e.getKey(), ((Answer.Classified) model.answers(e.getValue(), new float[][] {v[k++]}).get(0)).prediction());
        for (int i = 0; i < in.size(); i++) {
            if (out[i] != null) continue;
            Prediction p = byText.get(text[i]);
            out[i] = new Outcome(p.score(), p.label(), null);
        }
        return out;
    }
}
