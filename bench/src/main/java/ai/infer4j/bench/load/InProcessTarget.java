package ai.infer4j.bench.load;

import ai.infer4j.bench.record.Outcome;
import ai.infer4j.engine.Engine;
import ai.infer4j.engine.config.EngineOptions;
import ai.infer4j.engine.error.InferenceException;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.batch.BatchListener;
import ai.infer4j.engine.batch.BatchPolicy;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Request;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The engine without HTTP: {@link Engine#submit}, the same entry and dynamic batching the server uses. Comparing it with an {@link HttpTarget} run
 * against a server with the same settings gives the server's overhead. Safe for concurrent callers.
 */
public final class InProcessTarget implements Target {
    private final Engine engine;
    private final Model model;
    private final Duration timeout;
    private final String description;

    /**
     * Opens its own engine.
     *
     * @param modelRef       a built-in name, archive or export directory (as {@code Engine.load} takes)
     * @param workers        scheduler worker threads
     * @param intraOpThreads ONNX Runtime threads per forward pass
     */
    public InProcessTarget(String modelRef, int workers, int intraOpThreads, BatchPolicy policy, Duration timeout) {
        this.engine = Engine.create(EngineOptions.defaults().withIntraOpThreads(intraOpThreads));
        try {
            this.model = engine.load(modelRef);
            engine.batching(model.backbone(), policy, workers, BatchListener.NONE);
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
        this.timeout = timeout;
        this.description = "in-process " + modelRef + " (workers " + workers + ", threads " + intraOpThreads + ", batch "
                + policy.maxBatchSize() + ", delay " + policy.maxDelay().toMillis() + " ms)";
    }

    @Override
    public CompletableFuture<Outcome> send(String input) {
        CompletableFuture<List<Answer>> answered;
        try {
            answered = engine.submit(model, Request.of(input), timeout);
        } catch (InferenceException e) {
            return CompletableFuture.completedFuture(Outcome.ofStatus(e.status()));
        }
        return answered.handle((r, e) -> {
            if (e == null) return Outcome.OK;
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            return cause instanceof InferenceException ie ? Outcome.ofStatus(ie.status()) : Outcome.SERVER_ERROR;
        });
    }

    /** A few requests one at a time, so the first measured ones do not pay for ONNX Runtime's lazy set-up. */
    public void warmUp(List<String> inputs, int n) {
        for (int i = 0; i < n && !inputs.isEmpty(); i++) send(inputs.get(i % inputs.size())).join();
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        engine.close(); // drains the scheduler first
    }
}
