package ai.infer4j.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.timeout.ReadTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/** Turns each request of a connection into an {@link Exchange} and dispatches it on the listener's route table. */
public final class RouteHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(RouteHandler.class);

    private final Routes routes;
    private final Exchange.Finisher finisher;

    public RouteHandler(Routes routes, Exchange.Finisher finisher) {
        this.routes = routes;
        this.finisher = finisher;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        Exchange x = new Exchange(ctx, req, System.nanoTime(), finisher);
        if (!req.decoderResult().isSuccess()) {
            HttpSupport.send(ctx, HttpSupport.error(400, "BadRequest", "malformed HTTP request"), false);
            return;
        }
        routes.dispatch(x);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException || cause instanceof ReadTimeoutException || cause instanceof PrematureChannelClosureException) {
            log.debug("connection {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }
}
