package ai.infer4j.server.inference;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.error.OverloadedException;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Request;
import ai.infer4j.monitor.capture.CaptureWriter;
import ai.infer4j.server.http.Exchange;
import ai.infer4j.server.http.HttpSupport;
import ai.infer4j.server.metrics.ServerMetrics;
import ai.infer4j.server.registry.ModelRegistry;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * What every inference route shares: the registry, limits, metrics, capture, the count of admitted requests not
 * yet answered (so shutdown can wait for them), and the one predict path every inference route takes:
 * resolve → {@link Engine#submit} → answer → capture → respond → metrics.
 */
public final class InferenceService implements Exchange.Finisher {
    /** Inputs per request, at most. */
    public static final int MAX_INPUTS_PER_REQUEST = 256;

    final Engine engine;
    final ModelRegistry registry;
    final Duration responseTimeout;
    final ServerMetrics metrics;
    final CaptureWriter capture;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;
    /** Run once, after the first answer was written (then null). */
    private volatile Runnable firstAnswer;

    /**
     * @param responseTimeout how long a request may take, queue included, before it is answered 503
     * @param capture         where sampled requests go (null: no capture)
     */
    public InferenceService(Engine engine, ModelRegistry registry, Duration responseTimeout, ServerMetrics metrics, CaptureWriter capture) {
        this.engine = engine;
        this.registry = registry;
        this.responseTimeout = responseTimeout;
        this.metrics = metrics;
        this.capture = capture;
    }

    /** Admitted requests not yet answered. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * {@code r} runs on an I/O thread just after the next answer (any status) has been written: once, or twice when two
     * answers finish at the same moment (so {@code r} should not mind running again).
     */
    public void afterFirstAnswer(Runnable r) {
        firstAnswer = r;
    }

    /** From now on requests are refused with 503 (connections still open get a clean answer). */
    public void startDraining() {
        draining = true;
    }

    boolean draining() {
        return draining;
    }

    /**
     * The predict path: queues {@code request} for the named model (its default version when {@code version} is
     * null) and answers the exchange with {@code render} of the answers, captured when sampled. A bad input or an
     * unknown model throws at once (the route table answers it); overload and deadline failures answer from the future.
     */
    void predict(Exchange x, String name, String version, Request request, Function<List<Answer>, Object> render) {
        x.about(name, version);
        if (draining) throw new OverloadedException("server is shutting down; retry on another instance");
        var served = registry.resolve(name, version);
        String ver = served.model().version();
        x.about(name, ver);
        var answered = engine.submit(served.model(), request, responseTimeout, x.executor()); // throws at once for bad input
        inFlight.incrementAndGet();
        x.admit();
        String eventId = CaptureHook.sample(capture, name);
        answered.whenComplete((answers, err) -> {
            if (err != null) {
                x.fail(err);
                return;
            }
            FullHttpResponse r = HttpSupport.json(HttpResponseStatus.OK, render.apply(answers));
            if (eventId != null) {
                CaptureHook.record(capture, eventId, name, ver, request, answers, x.startNanos());
                r.headers().set(CaptureHook.EVENT_ID_HEADER, eventId);
            }
            x.respond(r);
        });
    }

    /** A request admitted by {@link #admit}: the version answering, its answers to come, and its capture event id (or null). */
    record Admitted(String version, CompletableFuture<List<Answer>> answers, String eventId) { }

    /**
     * The predict path for a caller without an HTTP exchange (the gRPC v2 listener): the same steps as {@link #predict}
     * (refused while draining, resolve, {@link Engine#submit}, counted in flight, captured when sampled); the caller
     * renders the answers and counts metrics. Bad input and unknown models throw at once.
     */
    Admitted admit(String name, String version, Request request, long startNanos) {
        if (draining) throw new OverloadedException("server is shutting down; retry on another instance");
        var served = registry.resolve(name, version);
        String ver = served.model().version();
        var answered = engine.submit(served.model(), request, responseTimeout); // throws at once for bad input
        inFlight.incrementAndGet();
        String eventId = CaptureHook.sample(capture, name);
        var done = answered.whenComplete((answers, err) -> {
            inFlight.decrementAndGet();
            if (err == null && eventId != null) CaptureHook.record(capture, eventId, name, ver, request, answers, startNanos);
        });
        return new Admitted(ver, done, eventId);
    }

    @Override
    public void finished(Exchange x, int status) {
        if (!x.model().isEmpty()) metrics.request(x.model(), x.version(), status, System.nanoTime() - x.startNanos());
        if (x.admitted()) inFlight.decrementAndGet();
        Runnable first = firstAnswer;
        if (first != null) {
            firstAnswer = null;
            first.run();
        }
    }
}
