package ai.infer4j.server.http;

import ai.infer4j.engine.error.InferenceException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/** JSON responses and the one mapping from failures to {@code {"code", "type", "message"}}. */
public final class HttpSupport {
    private static final Logger log = LoggerFactory.getLogger(HttpSupport.class);
    private static final AtomicLong INCIDENTS = new AtomicLong();

    /** Shared JSON mapper; nesting deeper than 64 levels is refused (a cheap guard against hostile bodies). */
    public static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build()).build());

    private HttpSupport() {
    }

    /** A JSON response, written straight into a pooled buffer (released by Netty once sent, or by whoever drops it). */
    public static FullHttpResponse json(HttpResponseStatus status, Object body) {
        ByteBuf content = ByteBufAllocator.DEFAULT.buffer(512);
        try (OutputStream out = new ByteBufOutputStream(content)) {
            JSON.writeValue(out, body);
        } catch (IOException | RuntimeException e) {
            content.release();
            throw new IllegalStateException("cannot serialise response", e);
        }
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        return r;
    }

    /** A float vector as one JSON node, written without garbage: see {@link FloatVector}. */
    public static JsonNode floats(float[] v) {
        return JSON.getNodeFactory().pojoNode(new FloatVector(v));
    }

    public static FullHttpResponse error(int status, String type, String message) {
        ObjectNode body = JSON.createObjectNode().put("code", status).put("type", type).put("message", message);
        FullHttpResponse r = json(HttpResponseStatus.valueOf(status), body);
        if (status == 503) r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
        return r;
    }

    /** Maps any failure to a response: typed failures keep their status; anything else is a logged 500. */
    public static FullHttpResponse error(Throwable t, String context) {
        Throwable e = unwrap(t);
        if (e instanceof InferenceException ie) {
            if (ie.status() >= 500 && ie.status() != 503) log.error("{}: {}", context, ie.getMessage(), ie);
            return error(ie.status(), ie.type(), ie.getMessage());
        }
        long id = INCIDENTS.incrementAndGet();
        log.error("{}: internal error (incident {})", context, id, e);
        return error(500, "InternalServerError", "internal error; the server log has details (incident " + id + ")");
    }

    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) t = t.getCause();
        return t;
    }

    /** Writes and flushes a response with explicit keep-alive handling; closes the connection when not kept alive. */
    public static void send(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        if (keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(r, ctx.voidPromise());
        } else {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
