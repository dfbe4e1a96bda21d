package ai.infer4j.bench.load;

import ai.infer4j.bench.record.Outcome;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
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
 *
 * <p>What a request costs the client, kept small because every cycle it spends is taken from the server on the
 * same cores: each distinct input's whole request (request line, headers, body) is encoded once and then written
 * as a read-only view of the same direct buffer; a send is one task on the event loop (pool, write and deadline
 * in one); responses are decoded up to the status line and headers and their body is dropped unread (the load
 * generator counts outcomes, it does not parse answers); deadlines are checked by one sweep every
 * {@code timeout / 20} (at most 50 ms) rather than by a timer per request, so a late answer counts as
 * {@link Outcome#TIMEOUT} between {@code timeout} and {@code timeout} plus one sweep after its send.
 *
 * <p>On Linux the loop is Netty's native epoll transport, and it is also where the open loop paces its sends
 * ({@link #pacer()}): its timers wake within tens of microseconds, so a send costs the loop one wake-up and no
 * other thread is involved. (Most precise with {@code -Dio.netty.channel.epoll.epollWaitThreshold=0}, a timerfd
 * armed per wait, which {@code infer4j bench} sets; Netty's default for waits under 10 ms, {@code epoll_pwait2},
 * adds the thread's timer slack of ~50 us.) On NIO (no native transport, or {@link Transport#NIO}) the
 * selector's timeouts are whole milliseconds, so the load generator paces on its own thread as before.
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

    /** The event loop's I/O: Netty's native epoll, or the JDK selector (NIO). */
    public enum Transport {
        /** epoll where Netty's native library loads (Linux x86_64, aarch64), NIO elsewhere. */
        AUTO,
        EPOLL,
        NIO;

        public static Transport parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the client's I/O must be auto, epoll or nio, got '" + s + "'", e);
            }
        }
    }

    /** Distinct inputs whose encoded request is kept; beyond it a request is encoded per send. */
    static final int MAX_CACHED_REQUESTS = 65_536;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI uri;
    private final String host;
    private final int port;
    private final String path;
    private final Api api;
    private final long timeoutNanos;
    private final int maxIdle;
    private final boolean epoll;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final Map<String, ByteBuf> encoded = new ConcurrentHashMap<>();
    // event-loop thread only
    private final ArrayDeque<Connection> idle = new ArrayDeque<>();
    private final Set<Connection> open = new LinkedHashSet<>();

    /**
     * @param uri            the full endpoint, e.g. {@code http://127.0.0.1:8080/predictions/intent}
     * @param timeout        per request; a late answer counts as {@link Outcome#TIMEOUT} and its connection is closed
     * @param maxIdle        keep-alive connections kept open between requests
     */
    public HttpTarget(URI uri, Api api, Duration timeout, int maxIdle) {
        this(uri, api, timeout, maxIdle, Transport.AUTO);
    }

    /**
     * @param transport {@link Transport#EPOLL} fails when the native transport cannot load here
     */
    public HttpTarget(URI uri, Api api, Duration timeout, int maxIdle, Transport transport) {
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null)
            throw new IllegalArgumentException("--url must be http://host:port/path, got '" + uri + "'");
        this.uri = uri;
        this.host = uri.getHost();
        this.port = uri.getPort() < 0 ? 80 : uri.getPort();
        this.path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        this.api = api;
        this.timeoutNanos = timeout.toNanos();
        this.maxIdle = Math.max(1, maxIdle);
        if (transport == Transport.EPOLL && !Epoll.isAvailable())
            throw new IllegalArgumentException("the epoll transport is not available here (" + Epoll.unavailabilityCause() + "); use nio or auto");
        this.epoll = transport != Transport.NIO && Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("infer4j-bench-io", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.loop = group.next();
        this.bootstrap = new Bootstrap().group(loop).channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpResponseDecoder(), new Connection());
                    }
                });
        long sweep = Math.max(TimeUnit.MILLISECONDS.toNanos(1), Math.min(TimeUnit.MILLISECONDS.toNanos(50), timeoutNanos / 20));
        loop.scheduleAtFixedRate(this::expire, sweep, sweep, TimeUnit.NANOSECONDS);
    }

    @Override
    public CompletableFuture<Outcome> send(String input) {
        CompletableFuture<Outcome> f = new CompletableFuture<>();
        ByteBuf request = request(input);
        long deadline = System.nanoTime() + timeoutNanos;
        if (loop.inEventLoop()) dispatch(request, deadline, f);
        else loop.execute(() -> dispatch(request, deadline, f));
        return f;
    }

    /** The event loop on epoll (sub-millisecond timers, sends without a hand-off); null on NIO. */
    @Override
    public ScheduledExecutorService pacer() {
        return epoll ? loop : null;
    }

    /** Whether the loop runs on Netty's native epoll transport (else NIO). */
    public boolean epoll() {
        return epoll;
    }

    /** The whole request for {@code input}: a retained view of its cached encoding, released by the write. */
    ByteBuf request(String input) {
        ByteBuf cached = encoded.get(input);
        if (cached == null) {
            byte[] bytes = encode(input);
            if (encoded.size() >= MAX_CACHED_REQUESTS) return Unpooled.wrappedBuffer(bytes);
            cached = encoded.computeIfAbsent(input, k -> Unpooled.directBuffer(bytes.length).writeBytes(bytes));
        }
        return cached.retainedDuplicate();
    }

    /** Request line, headers and body of one request, as they go on the wire. */
    byte[] encode(String input) {
        byte[] body = body(input);
        String head = "POST " + path + " HTTP/1.1\r\n"
                + "Host: " + host + ":" + port + "\r\n"
                + "Content-Type: " + (api == Api.TORCHSERVE ? "text/plain; charset=utf-8" : "application/json") + "\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: keep-alive\r\n\r\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream(head.length() + body.length);
        out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(body);
        return out.toByteArray();
    }

    private byte[] body(String input) {
        if (api == Api.TORCHSERVE) return input.getBytes(StandardCharsets.UTF_8);
        ObjectNode root = JSON.createObjectNode();
        ObjectNode t = root.putArray("inputs").addObject();
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

    /**
     * On the event loop: the longest-idle pooled connection if one is open, a new one otherwise. Oldest first, not
     * last used first: a connection reused at once is still in delayed-ACK "ping-pong" mode, and against a server
     * that writes headers and body in two segments without TCP_NODELAY (the JDK HttpServer) every answer then
     * waits ~40 ms for the ACK.
     */
    private void dispatch(ByteBuf request, long deadline, CompletableFuture<Outcome> f) {
        Connection c;
        while ((c = idle.pollFirst()) != null && !c.channel.isActive()) { /* closed while idle: skip */ }
        if (c != null) {
            c.write(request, deadline, f);
            return;
        }
        ChannelFuture cf = bootstrap.connect(host, port);
        cf.addListener(done -> {
            if (done.isSuccess()) {
                cf.channel().pipeline().get(Connection.class).write(request, deadline, f);
            } else {
                request.release();
                f.complete(Outcome.IO_ERROR);
            }
        });
    }

    /** On the event loop: ends every request past its deadline, closing its connection. */
    private void expire() {
        long now = System.nanoTime();
        List<Connection> late = null;
        for (Connection c : open) {
            if (c.pending != null && now - c.deadline >= 0) {
                if (late == null) late = new ArrayList<>();
                late.add(c);
            }
        }
        if (late != null) for (Connection c : late) c.finish(Outcome.TIMEOUT, false);
    }

    /** One keep-alive connection and the request on it (at most one: no pipelining). Event-loop thread only. */
    private final class Connection extends ChannelInboundHandlerAdapter {
        private Channel channel;
        private CompletableFuture<Outcome> pending;
        private long deadline;
        private int status;
        private boolean keepAlive;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            open.add(this);
            ctx.fireChannelActive();
        }

        void write(ByteBuf request, long deadline, CompletableFuture<Outcome> f) {
            this.pending = f;
            this.deadline = deadline;
            this.status = 0;
            channel.writeAndFlush(request, channel.voidPromise());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (!(msg instanceof HttpObject o)) return;
                if (o.decoderResult().isFailure()) {
                    finish(Outcome.IO_ERROR, false);
                    return;
                }
                if (msg instanceof HttpResponse r) {
                    status = r.status().code();
                    keepAlive = HttpUtil.isKeepAlive(r);
                }
                if (msg instanceof LastHttpContent && status >= 200) finish(Outcome.ofStatus(status), keepAlive);
                else if (msg instanceof LastHttpContent) status = 0;  // an interim 1xx; the real answer follows
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        /** Ends the request on this connection; back to the pool before completing, so a closed-loop client's next request reuses it. */
        void finish(Outcome outcome, boolean reuse) {
            CompletableFuture<Outcome> f = pending;
            pending = null;
            if (reuse && channel.isActive() && !group.isShuttingDown() && idle.size() < maxIdle) idle.addLast(this);
            else channel.close();
            if (f != null) f.complete(outcome);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open.remove(this);
            idle.remove(this);
            CompletableFuture<Outcome> f = pending;
            pending = null;
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
        if (group.isShuttingDown()) return;
        loop.execute(() -> {
            for (Connection c : List.copyOf(open)) c.channel.close();
            idle.clear();
        });
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        encoded.values().forEach(ByteBuf::release);  // the writes' views are released by now: the loop is shut down
        encoded.clear();
    }
}
