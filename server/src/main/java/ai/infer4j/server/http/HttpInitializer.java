package ai.infer4j.server.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The HTTP pipeline: idle timeout, codec, body aggregation with a size limit (413 beyond it), optional auth, then one handler. */
final class HttpInitializer extends ChannelInitializer<SocketChannel> {
    private final int maxRequestBytes;
    private final long idleMillis;
    private final byte[] authToken;
    private final Supplier<ChannelHandler> handler;

    HttpInitializer(int maxRequestBytes, long idleMillis, byte[] authToken, Supplier<ChannelHandler> handler) {
        this.maxRequestBytes = maxRequestBytes;
        this.idleMillis = idleMillis;
        this.authToken = authToken;
        this.handler = handler;
    }

    /** Answers an over-size body with the same JSON error shape as every other failure, then closes. */
    static final class JsonLimitAggregator extends HttpObjectAggregator {
        private final int max;

        JsonLimitAggregator(int maxContentLength) {
            super(maxContentLength);
            this.max = maxContentLength;
        }

        /**
         * Answers 413 with {@code Connection: close}, then only half-closes: the client may still be sending the body,
         * and closing outright would reset the connection before it reads the answer. The aggregator discards the
         * rest of the body; the client closes, or the idle timeout does.
         */
        @Override
        protected void handleOversizedMessage(io.netty.channel.ChannelHandlerContext ctx, io.netty.handler.codec.http.HttpMessage oversized) {
            var r = HttpSupport.error(413, "RequestTooLarge", "request body is larger than max_request_size (" + max + " bytes)");
            r.headers().setInt(io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
            r.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CONNECTION, io.netty.handler.codec.http.HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(r).addListener(f -> {
                if (f.isSuccess() && ctx.channel() instanceof SocketChannel sc) sc.shutdownOutput();
                else ctx.close();
            });
        }
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline()
                .addLast("idle", new ReadTimeoutHandler(idleMillis, TimeUnit.MILLISECONDS))
                .addLast("codec", new HttpServerCodec(8192, 16384, 16384))
                .addLast("aggregate", new JsonLimitAggregator(maxRequestBytes));
        if (authToken != null) ch.pipeline().addLast("auth", new AuthHandler(authToken));
        ch.pipeline().addLast("handler", handler.get());
    }
}
