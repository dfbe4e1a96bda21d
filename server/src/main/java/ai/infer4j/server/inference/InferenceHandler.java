package ai.infer4j.server.inference;

import ai.infer4j.engine.InferenceException;
import ai.infer4j.engine.OverloadedException;
import ai.infer4j.server.http.HttpSupport;
import ai.infer4j.server.management.ModelRegistry.Served;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The inference API: TorchServe's {@code /predictions} and {@code /ping}, and KServe's Open Inference
 * Protocol v2. Parses and validates on the I/O thread, hands the work to the batching scheduler and
 * answers from its future; never runs a forward pass itself.
 */
public final class InferenceHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(InferenceHandler.class);
    private static final int TOP_K = 5;

    private final InferenceService svc;

    public InferenceHandler(InferenceService svc) {
        this.svc = svc;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        long start = System.nanoTime();
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (!req.decoderResult().isSuccess()) {
            HttpSupport.send(ctx, HttpSupport.error(400, "BadRequest", "malformed HTTP request"), false);
            return;
        }
        String path = new QueryStringDecoder(req.uri()).path();
        String[] seg = path.replaceAll("^/+|/+$", "").split("/+");
        HttpMethod method = req.method();
        try {
            if (seg.length >= 2 && seg.length <= 3 && seg[0].equals("predictions")) {
                if (!method.equals(HttpMethod.POST) && !method.equals(HttpMethod.PUT)) {
                    methodNotAllowed(ctx, method, path, "POST", keepAlive);
                    return;
                }
                predictions(ctx, req, seg[1], seg.length == 3 ? seg[2] : null, start, keepAlive);
            } else if (path.equals("/ping")) {
                if (!method.equals(HttpMethod.GET)) methodNotAllowed(ctx, method, path, "GET", keepAlive);
                else HttpSupport.send(ctx, svc.draining() ? HttpSupport.error(503, "Unhealthy", "server is shutting down")
                        : HttpSupport.json(HttpResponseStatus.OK, Map.of("status", "Healthy")), keepAlive);
            } else if (seg.length >= 1 && seg[0].equals("v2")) {
                KServeRoutes.route(svc, ctx, req, seg, start, keepAlive);
            } else {
                HttpSupport.send(ctx, HttpSupport.error(404, "NotFound", "no endpoint " + method + " " + path
                        + "; use POST /predictions/{model}[/{version}], GET /ping or /v2/..."), keepAlive);
            }
        } catch (InferenceException e) {
            String model = seg.length >= 2 && seg[0].equals("predictions") ? seg[1] : "";
            finish(ctx, HttpSupport.error(e, "inference"), model, "", start, keepAlive, false);
        }
    }

    static void methodNotAllowed(ChannelHandlerContext ctx, HttpMethod method, String path, String allowed, boolean keepAlive) {
        FullHttpResponse r = HttpSupport.error(405, "MethodNotAllowed", method + " is not allowed on " + path + "; use " + allowed);
        r.headers().set(HttpHeaderNames.ALLOW, allowed);
        HttpSupport.send(ctx, r, keepAlive);
    }

    private void predictions(ChannelHandlerContext ctx, FullHttpRequest req, String name, String version, long start, boolean keepAlive) {
        if (svc.draining()) throw new OverloadedException("server is shutting down; retry on another instance");
        Served served = svc.registry.resolve(name, version);
        var parsed = RequestBodies.parse(ByteBufUtil.getBytes(req.content()), req.headers().get(HttpHeaderNames.CONTENT_TYPE),
                InferenceService.MAX_INPUTS_PER_REQUEST);
        String ver = served.model().version();
        var answered = Predictor.predict(served, parsed, svc.config.responseTimeout()); // throws at once for bad input
        svc.admitted();
        String eventId = CaptureHook.sample(svc.capture, name);
        answered.whenComplete((answers, err) -> {
            FullHttpResponse r = err != null ? HttpSupport.error(err, "model " + name + " v" + ver)
                    : HttpSupport.json(HttpResponseStatus.OK, parsed.many() ? list(answers) : answer(answers.get(0)));
            if (eventId != null && err == null) {
                CaptureHook.record(svc.capture, eventId, name, ver, parsed.inputs(), answers, start);
                r.headers().set(CaptureHook.EVENT_ID_HEADER, eventId);
            }
            finish(ctx, r, name, ver, start, keepAlive, true);
        });
    }

    /** Writes the response, records metrics and, for admitted requests, the end of their flight. */
    void finish(ChannelHandlerContext ctx, FullHttpResponse r, String model, String version, long start, boolean keepAlive, boolean admitted) {
        try {
            HttpSupport.send(ctx, r, keepAlive);
            if (!model.isEmpty()) svc.metrics.request(model, version, r.status().code(), System.nanoTime() - start);
        } finally {
            if (admitted) svc.answered();
        }
    }

    static ArrayNode list(List<Predictor.Answer> answers) {
        ArrayNode a = HttpSupport.JSON.createArrayNode();
        for (Predictor.Answer x : answers) a.add(answer(x));
        return a;
    }

    static ObjectNode answer(Predictor.Answer x) {
        ObjectNode o = HttpSupport.JSON.createObjectNode();
        if (x.embedding() != null) {
            ArrayNode e = o.putArray("embedding");
            for (float v : x.embedding()) e.add(v);
        } else if (x.pair() != null) {
            o.put("label", x.prediction().label());
            o.put("score", x.pair().score());
            o.put("duplicate", x.pair().duplicate());
            o.put("threshold", x.pair().threshold());
        } else {
            o.put("label", x.prediction().label());
            o.put("score", x.prediction().score());
            ObjectNode scores = o.putObject("scores");
            x.prediction().top(TOP_K).forEach(scores::put);
        }
        if (x.truncated()) o.put("truncated", true);
        return o;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException || cause instanceof io.netty.handler.timeout.ReadTimeoutException
                || cause instanceof io.netty.handler.codec.PrematureChannelClosureException) {
            log.debug("connection {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }
}
