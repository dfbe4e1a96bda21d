package ai.infer4j.server.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request and its answer: the connection, the request, when it arrived, keep-alive, the path's variables
 * and query. Answered exactly once ({@link #respond}, {@link #fail}); a second answer is ignored. After the answer
 * is written, {@link Finisher} sees it (metrics, in-flight accounting). {@link #respond} may be called from any thread.
 */
public final class Exchange {
    /** Sees every answered exchange once, after its response was written. */
    public interface Finisher {
        Finisher NONE = (x, status) -> { };

        void finished(Exchange x, int status);
    }

    private final ChannelHandlerContext ctx;
    private final FullHttpRequest request;
    private final long startNanos;
    private final boolean keepAlive;
    private final QueryStringDecoder query;
    private final Finisher finisher;
    private final Map<String, String> vars = new HashMap<>();
    private final AtomicBoolean answered = new AtomicBoolean();
    private volatile String model = "";
    private volatile String version = "";
    private volatile boolean admitted;
    private byte[] body;

    public Exchange(ChannelHandlerContext ctx, FullHttpRequest request, long startNanos, Finisher finisher) {
        this.ctx = ctx;
        this.request = request;
        this.startNanos = startNanos;
        this.keepAlive = HttpUtil.isKeepAlive(request);
        this.query = new QueryStringDecoder(request.uri());
        this.finisher = finisher;
    }

    /** The connection's event loop. */
    public Executor executor() {
        return ctx.executor();
    }

    public FullHttpRequest request() {
        return request;
    }

    public String path() {
        return query.path();
    }

    public long startNanos() {
        return startNanos;
    }

    /** A path variable bound by the route pattern ({@code {model}}), or null. */
    public String var(String name) {
        return vars.get(name);
    }

    void bind(String name, String value) {
        vars.put(name, value);
    }

    /** The first value of a query parameter, or null. */
    public String param(String name) {
        List<String> v = query.parameters().get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    public Map<String, List<String>> params() {
        return query.parameters();
    }

    /** The body's bytes (copied once; the request buffer is released by the handler after dispatch). */
    public byte[] body() {
        if (body == null) body = ByteBufUtil.getBytes(request.content());
        return body;
    }

    public String header(CharSequence name) {
        return request.headers().get(name);
    }

    /** Names the model and version this exchange is about, for metrics. */
    public void about(String model, String version) {
        this.model = model == null ? "" : model;
        this.version = version == null ? "" : version;
    }

    public String model() {
        return model;
    }

    public String version() {
        return version;
    }

    /** Marks the request admitted (counted in flight until answered). */
    public void admit() {
        admitted = true;
    }

    public boolean admitted() {
        return admitted;
    }

    /** Writes the response (keep-alive handled), then tells the finisher. Only the first answer counts. */
    public void respond(FullHttpResponse r) {
        if (!answered.compareAndSet(false, true)) {
            r.release();
            return;
        }
        try {
            HttpSupport.send(ctx, r, keepAlive);
        } finally {
            finisher.finished(this, r.status().code());
        }
    }

    public void json(HttpResponseStatus status, Object body) {
        respond(HttpSupport.json(status, body));
    }

    /** Answers with the JSON error for {@code t}: typed failures keep their status; anything else is a logged 500. */
    public void fail(Throwable t) {
        respond(HttpSupport.error(t, model.isEmpty() ? request.method() + " " + path() : "model " + model + " v" + version));
    }

    /** Answers 405 naming the methods the path allows. */
    public void methodNotAllowed(String allowed) {
        FullHttpResponse r = HttpSupport.error(405, "MethodNotAllowed", request.method() + " is not allowed on " + path() + "; use " + allowed);
        r.headers().set(HttpHeaderNames.ALLOW, allowed);
        respond(r);
    }
}
