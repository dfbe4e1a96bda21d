package ai.infer4j.bench.load;

import ai.infer4j.bench.record.Outcome;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/1.1 keep-alive client for TorchServe-style ({@code POST /predictions/{model}}, plain-text body) and
 * KServe v2 ({@code POST /v2/models/{model}/infer}, BYTES tensor) endpoints, on one Netty event-loop thread.
 *
 * <p>Why Netty rather than the JDK {@code HttpClient}: on two shared cores the client must cost far less
 * than the server it measures. One event-loop thread writes, reads and completes futures with no hand-off to
 * an executor, and connections come from an explicit pool (one request per connection at a time, no
 * pipelining), so the number of sockets is exactly the number of requests in flight, which the load
 * generator bounds with {@code --max-in-flight}. Safe for concurrent callers; {@link #send} never blocks.
 */
public final class HttpTarget implements Target {
    /** Request body format. */
    public enum Api {
        TORCHSERVE, KSERVE;

        /** KServe v2 for a {@code /v2/...} path, TorchServe otherwise. */
        public static Api guess(URI uri) {
            return uri.getPath() != null && uri.getPath().startsWith("/v2/") ? KSERVE : TORCHSERVE;
        }

        public static Api parse(String s) {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        }
    }

    private static final AttributeKey<CompletableFuture<Outcome>> PENDING = AttributeKey.valueOf("infer4j-bench-pending");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI uri;
    private final String host;
    private final int port;
    private final String path;
    private final Api api;
    private final long timeoutNanos;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final BlockingQueue<Channel> idle;

    /**
     * @param uri            the full endpoint, e.g. {@code http://127.0.0.1:8080/predictions/intent}
     * @param timeout        per request; a late answer counts as {@link Outcome#TIMEOUT} and its connection is closed
     * @param maxIdle        keep-alive connections kept open between requests
     */
    public HttpTarget(URI uri, Api api, Duration timeout, int maxIdle) {
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null)
            throw new IllegalArgumentException("--url must be http://host:port/path, got '" + uri + "'");
        this.uri = uri;
        this.host = uri.getHost();
        this.port = uri.getPort() < 0 ? 80 : uri.getPort();
        this.path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        this.api = api;
        this.timeoutNanos = timeout.toNanos();
        this.idle = new ArrayBlockingQueue<>(Math.max(1, maxIdle));
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("infer4j-bench-io", true), NioIoHandler.newFactory());
        this.bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(16 << 20), new ResponseHandler());
                    }
                });
    }

    @Override
    public CompletableFuture<Outcome> send(String input) {
        CompletableFuture<Outcome> f = new CompletableFuture<>();
        byte[] body = body(input);
        Channel ch = idle.poll();
        while (ch != null && !ch.isActive()) ch = idle.poll();
        if (ch != null) {
            write(ch, body, f);
        } else {
            ChannelFuture cf = bootstrap.connect(host, port);
            cf.addListener(c -> {
                if (c.isSuccess()) write(cf.channel(), body, f);
                else f.complete(Outcome.IO_ERROR);
            });
        }
        return f;
    }

    private byte[] body(String input) {
        if (api == Api.TORCHSERVE) return input.getBytes(StandardCharsets.UTF_8);
        ObjectNode root = JSON.createObjectNode();
        ArrayNode inputs = root.putArray("inputs");
        ObjectNode t = inputs.addObject();
        t.put("name", "text");
        t.putArray("shape").add(1);
        t.put("datatype", "BYTES");
        t.putArray("data").add(input);
        try {
            return JSON.writeValueAsBytes(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a KServe body", e);
        }
    }

    private void write(Channel ch, byte[] body, CompletableFuture<Outcome> f) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path, Unpooled.wrappedBuffer(body));
        req.headers().set(HttpHeaderNames.HOST, host + ":" + port)
                .set(HttpHeaderNames.CONTENT_TYPE, api == Api.TORCHSERVE ? "text/plain; charset=utf-8" : "application/json")
                .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        ch.attr(PENDING).set(f);
        ScheduledFuture<?> timer = ch.eventLoop().schedule(() -> {
            if (ch.attr(PENDING).compareAndSet(f, null)) {
                f.complete(Outcome.TIMEOUT);
                ch.close();
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
        f.whenComplete((o, e) -> timer.cancel(false));
        ch.writeAndFlush(req).addListener(w -> {
            if (!w.isSuccess() && ch.attr(PENDING).compareAndSet(f, null)) {
                f.complete(Outcome.IO_ERROR);
                ch.close();
            }
        });
    }

    private final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse resp) {
            CompletableFuture<Outcome> f = ctx.channel().attr(PENDING).getAndSet(null);
            if (f == null) return;
            // back to the pool before completing, so a closed-loop client's next request reuses this connection
            if (HttpUtil.isKeepAlive(resp) && !group.isShuttingDown()) {
                if (!idle.offer(ctx.channel())) ctx.close();
            } else {
                ctx.close();
            }
            f.complete(Outcome.ofStatus(resp.status().code()));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            CompletableFuture<Outcome> f = ctx.channel().attr(PENDING).getAndSet(null);
            if (f != null) f.complete(Outcome.IO_ERROR);
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public String describe() {
        return uri + " (" + api.name().toLowerCase(Locale.ROOT) + ")";
    }

    @Override
    public void close() {
        Channel ch;
        while ((ch = idle.poll()) != null) ch.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
