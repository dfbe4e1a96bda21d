package ai.infer4j.engine.handler;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.error.DeadlineExceededException;
import ai.infer4j.engine.error.HandlerException;
import ai.infer4j.engine.error.OverloadedException;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Request;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * An installed {@link Handler} bound to one model: runs its phases, times them, checks their contract and turns their
 * failures into {@link HandlerException} (500, with an incident id) — or passes a {@link BadInputException} through
 * (400). Made by {@link Handlers#bind}; a model without a custom handler has none, and its requests never come here.
 * Safe for concurrent callers.
 */
public final class BoundHandler {
    private final Handler handler;
    private final String name;
    private final Handler.Context context;
    private final ThreadPoolExecutor pool;
    private final HandlerListener listener;

    BoundHandler(Handler handler, Handler.Context context, ThreadPoolExecutor pool, HandlerListener listener) {
        this.handler = handler;
        this.name = handler.name();
        this.context = context;
        this.pool = pool;
        this.listener = listener;
    }

    public String name() {
        return name;
    }

    public Handler.Context context() {
        return context;
    }

    /** The request the model sees, on the calling thread (synchronous callers: CLI, evaluation, batch jobs). */
    public Request before(Request request) {
        long t0 = System.nanoTime();
        try {
            Request out = handler.before(request, context);
            if (out == null) throw contract("before() returned null");
            if (out.size() != request.size())
                throw contract("before() returned " + out.size() + " inputs for " + request.size() + "; answers go back one per input");
            return out;
        } catch (BadInputException | HandlerException e) {
            throw e;
        } catch (Throwable t) {
            throw failure("before", t);
        } finally {
            listener.timed(name, "before", System.nanoTime() - t0);
        }
    }

    /** {@link #before} for bulk pair scoring, which needs record pairs back. */
    public Request.Pairs beforePairs(Request.Pairs request) {
        Request out = before(request);
        if (out instanceof Request.Pairs p) return p;
        throw failure("before", contract("before() turned record pairs into " + out.getClass().getSimpleName()
                + "; bulk pair scoring (batch, eval) needs record pairs back"));
    }

    /** The answers the caller gets, on the calling thread. */
    public List<Answer> after(Request request, List<Answer> answers) {
        long t0 = System.nanoTime();
        try {
            List<Answer> out = handler.after(request, answers, context);
            if (out == null) throw contract("after() returned null");
            if (out.size() != answers.size())
                throw contract("after() returned " + out.size() + " answers for " + answers.size() + " inputs");
            for (int i = 0; i < out.size(); i++) {
                Answer a = out.get(i);
                if (a == null || a.getClass() != answers.get(i).getClass())
                    throw contract("after() answer " + i + " is " + (a == null ? "null" : a.getClass().getSimpleName())
                            + " where the model gave " + answers.get(i).getClass().getSimpleName());
            }
            return List.copyOf(out);
        } catch (BadInputException | HandlerException e) {
            throw e;
        } catch (Throwable t) {
            throw failure("after", t);
        } finally {
            listener.timed(name, "after", System.nanoTime() - t0);
        }
    }

    /**
     * The asynchronous path: {@link #before} on a handler thread, then {@code model} (plan and queue) with what is left
     * of the deadline, then {@link #after} on a handler thread. Either phase still running at the deadline fails the
     * request with {@link DeadlineExceededException} (503) and its thread is interrupted; a full handler queue refuses
     * with {@link OverloadedException} (503). Never blocks.
     *
     * @param model queues a request for the model with a timeout and completes with its answers
     */
    public CompletableFuture<List<Answer>> submit(Request request, Duration timeout,
                                                  BiFunction<Request, Duration, CompletableFuture<List<Answer>>> model) {
        long deadline = System.nanoTime() + timeout.toNanos();
        return call("before", () -> before(request), deadline, timeout).thenCompose(req -> {
            long left = deadline - System.nanoTime();
            if (left <= 0) return CompletableFuture.failedFuture(late("before", timeout));
            return model.apply(req, Duration.ofNanos(left)).thenCompose(answers -> call("after", () -> after(req, answers), deadline, timeout));
        });
    }

    private <T> CompletableFuture<T> call(String phase, Supplier<T> work, long deadline, Duration timeout) {
        long left = deadline - System.nanoTime();
        if (left <= 0) return CompletableFuture.failedFuture(late(phase, timeout));
        CompletableFuture<T> f = new CompletableFuture<>();
        Future<?> task;
        try {
            task = pool.submit(() -> {
                try {
                    f.complete(work.get());
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new OverloadedException("handler '" + name + "' is busy (" + pool.getQueue().size()
                    + " calls waiting for " + pool.getMaximumPoolSize() + " threads); retry later"));
        }
        return f.orTimeout(left, TimeUnit.NANOSECONDS).exceptionallyCompose(e -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (!(cause instanceof TimeoutException)) return CompletableFuture.failedFuture(cause);
            task.cancel(true); // interrupt a handler stuck past the deadline; its thread is needed by the next request
            return CompletableFuture.failedFuture(late(phase, timeout));
        });
    }

    private DeadlineExceededException late(String phase, Duration timeout) {
        return new DeadlineExceededException("handler '" + name + "' did not finish " + phase + "() within the request deadline of "
                + timeout.toMillis() + " ms for model '" + context.model() + "'; retry later");
    }

    private static IllegalStateException contract(String what) {
        return new IllegalStateException(what);
    }

    private HandlerException failure(String phase, Throwable cause) {
        String incident = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
        return new HandlerException("handler '" + name + "' failed in " + phase + "() on model '" + context.model() + "' v"
                + context.version() + " (incident " + incident + "; the details are logged under that id)", incident, cause);
    }
}
