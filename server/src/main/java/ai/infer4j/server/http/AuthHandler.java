package ai.infer4j.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Set;

/**
 * Bearer-token check in front of a listener. The token is compared in constant time, and every
 * refusal says the same thing (missing and wrong tokens are indistinguishable). Health checks
 * ({@code /ping}, {@code /v2/health/*}) stay open so load balancers keep working. Tokens are never logged.
 */
public final class AuthHandler extends ChannelInboundHandlerAdapter {
    private static final Set<String> OPEN = Set.of("/ping", "/v2/health/live", "/v2/health/ready");
    private final byte[] expected;

    public AuthHandler(byte[] expectedToken) {
        this.expected = expectedToken.clone();
    }

    /** Reads the token (first line, trimmed) from a file; refuses an empty one. */
    public static byte[] readToken(Path file) {
        try {
            String t = Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("").trim();
            if (t.length() < 16) throw new IllegalArgumentException("auth token in " + file + " must be at least 16 characters");
            return t.getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read auth token file " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest req)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String path = new QueryStringDecoder(req.uri()).path();
        if (OPEN.contains(path) || authorized(req.headers().get(HttpHeaderNames.AUTHORIZATION))) {
            ctx.fireChannelRead(msg);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        ReferenceCountUtil.release(msg);
        FullHttpResponse r = HttpSupport.error(401, "Unauthorized", "missing or invalid bearer token");
        r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        HttpSupport.send(ctx, r, keepAlive);
    }

    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            MessageDigest.isEqual(expected, new byte[expected.length]); // same work either way
            return false;
        }
        return MessageDigest.isEqual(expected, header.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }
}
