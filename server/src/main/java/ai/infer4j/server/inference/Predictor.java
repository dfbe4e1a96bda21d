package ai.infer4j.server.inference;

import ai.infer4j.engine.BadInputException;
import ai.infer4j.engine.DeadlineExceededException;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.PairBatch;
import ai.infer4j.engine.PairInput;
import ai.infer4j.engine.TextInput;
import ai.infer4j.engine.batch.BatchScheduler;
import ai.infer4j.engine.task.PairScore;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.tokenize.Tokens;
import ai.infer4j.server.management.ModelRegistry.Served;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Runs a request's inputs through a served model's batching scheduler. */
final class Predictor {
    /**
     * One answer: a classification or an embedding, and whether its input was truncated; {@code tokens}
     * and {@code vector} (the backbone output) are kept for data capture and may be null.
     */
    record Answer(Prediction prediction, float[] embedding, boolean truncated, Tokens tokens, float[] vector, PairScore pair) {
        Answer(Prediction prediction, float[] embedding, boolean truncated, Tokens tokens, float[] vector) {
            this(prediction, embedding, truncated, tokens, vector, null);
        }

        Answer(Prediction prediction, float[] embedding, boolean truncated) {
            this(prediction, embedding, truncated, null, null, null);
        }
    }

    private Predictor() {
    }

    /**
     * Completes when every part has, or fails with {@link DeadlineExceededException} when the request's
     * deadline passes first (a batch already running is not stopped; its late answer is discarded).
     */
    private static CompletableFuture<Void> whenAll(List<CompletableFuture<BatchScheduler.Result>> parts, Duration timeout) {
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .orTimeout(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(
                        ai.infer4j.server.http.HttpSupport.unwrap(e) instanceof java.util.concurrent.TimeoutException
                                ? new DeadlineExceededException("no answer within the request deadline of " + timeout.toMillis()
                                        + " ms; the server is overloaded, retry later")
                                : e));
    }

    /**
     * Tokenizes (throwing {@code BadInputException} at once for bad input) and queues every input;
     * the future completes when all are answered, or fails with the first failure (503 when overloaded).
     */
    static CompletableFuture<List<Answer>> predict(Served served, RequestBodies.Parsed parsed, Duration timeout) {
        Model m = served.model();
        if (m.task() == Model.Task.PAIR) return predictPairs(served, pairsOf(m, parsed), timeout);
        if (parsed.pairs() != null)
            throw new BadInputException("model '" + m.name() + "' is not a pair model; send {\"text\": ...} (record pairs need a pair model such as 'duplicate')");
        return predict(served, parsed.inputs(), timeout);
    }

    private static List<PairInput> pairsOf(Model m, RequestBodies.Parsed parsed) {
        if (parsed.pairs() != null) return parsed.pairs();
        List<PairInput> out = new ArrayList<>();
        for (TextInput t : parsed.inputs()) {
            if (t.textPair() == null)
                throw new BadInputException("model '" + m.name() + "' compares pairs; send {\"left\": {...}, \"right\": {...}} or {\"text\": ..., \"text_pair\": ...}");
            out.add(PairInput.ofTexts(t.text(), t.textPair()));
        }
        return out;
    }

    /**
     * Pairs: a bi-encoder queues both sides as ordinary sequences (so they share forward passes with any
     * other model on the backbone) and scores them with its cheap head; a cross-encoder queues each pair as one sequence.
     */
    private static CompletableFuture<List<Answer>> predictPairs(Served served, List<PairInput> pairs, Duration timeout) {
        Model m = served.model();
        boolean bi = m.pairHead() != null;
        List<Tokens> tokens = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            PairInput p = pairs.get(i);
            try {
                if (bi) {
                    tokens.add(m.tokenizeRecord(p.left(), "left"));
                    tokens.add(m.tokenizeRecord(p.right(), "right"));
                } else {
                    tokens.add(m.backbone().tokenizer().encode(new TextInput(m.recordText(p.left(), "left"), m.recordText(p.right(), "right"))));
                }
            } catch (BadInputException e) {
                throw pairs.size() == 1 ? e : e.withPrefix("input " + i + ": ");
            }
        }
        List<CompletableFuture<BatchScheduler.Result>> parts = new ArrayList<>(tokens.size());
        for (Tokens t : tokens) parts.add(served.scheduler().submit(m, t, timeout));
        return whenAll(parts, timeout).thenApply(ignored -> {
            List<Answer> out = new ArrayList<>(pairs.size());
            for (int i = 0; i < pairs.size(); i++) {
                PairScore s = bi ? m.scorePair(pairs.get(i), parts.get(2 * i).join().vector(), parts.get(2 * i + 1).join().vector())
                        : PairBatch.crossEncoderScore(m, parts.get(i).join().vector());
                boolean truncated = bi ? tokens.get(2 * i).truncated() || tokens.get(2 * i + 1).truncated() : tokens.get(i).truncated();
                out.add(new Answer(s.prediction(), null, truncated, null, null, s));
            }
            return out;
        });
    }

    static CompletableFuture<List<Answer>> predict(Served served, List<TextInput> inputs, Duration timeout) {
        Model m = served.model();
        List<Tokens> tokens = m.tokenize(inputs);
        List<CompletableFuture<BatchScheduler.Result>> parts = new ArrayList<>(tokens.size());
        for (Tokens t : tokens) parts.add(served.scheduler().submit(m, t, timeout));
        return whenAll(parts, timeout).thenApply(ignored -> {
            List<Answer> out = new ArrayList<>(parts.size());
            for (int i = 0; i < parts.size(); i++) {
                float[] v = parts.get(i).join().vector();
                Tokens t = tokens.get(i);
                out.add(m.task() == Model.Task.EMBED ? new Answer(null, v, t.truncated(), t, v) : new Answer(m.predict(v), null, t.truncated(), t, v));
            }
            return out;
        });
    }
}
