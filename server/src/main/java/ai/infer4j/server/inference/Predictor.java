package ai.infer4j.server.inference;

import ai.infer4j.engine.Model;
import ai.infer4j.engine.TextInput;
import ai.infer4j.engine.batch.BatchScheduler;
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
    record Answer(Prediction prediction, float[] embedding, boolean truncated, Tokens tokens, float[] vector) {
        Answer(Prediction prediction, float[] embedding, boolean truncated) {
            this(prediction, embedding, truncated, null, null);
        }
    }

    private Predictor() {
    }

    /**
     * Tokenizes (throwing {@code BadInputException} at once for bad input) and queues every input;
     * the future completes when all are answered, or fails with the first failure (503 when overloaded).
     */
    static CompletableFuture<List<Answer>> predict(Served served, List<TextInput> inputs, Duration timeout) {
        Model m = served.model();
        List<Tokens> tokens = m.tokenize(inputs);
        List<CompletableFuture<BatchScheduler.Result>> parts = new ArrayList<>(tokens.size());
        for (Tokens t : tokens) parts.add(served.scheduler().submit(m, t, timeout));
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
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
