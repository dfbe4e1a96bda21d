package ai.infer4j.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The bearer-token check on Netty's embedded channel: who passes, what a refusal says, and no buffer leaks. */
class AuthHandlerTest {
    private static final String TOKEN = "0123456789abcdef-secret";

    private static FullHttpRequest request(String uri, String authorization) {
        var r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri,
                Unpooled.copiedBuffer("{\"text\": \"hi\"}", StandardCharsets.UTF_8));
        if (authorization != null) r.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
        return r;
    }

    /** The refusal's status, WWW-Authenticate and body; the refused request must have been released. */
    private static String refusal(EmbeddedChannel ch, FullHttpRequest sent) {
        assertThat((Object) ch.readInbound()).as("a refused request does not reach the routes").isNull();
        assertThat(sent.refCnt()).as("the refused request's buffer is released").isZero();
        FullHttpResponse r = ch.readOutbound();
        try {
            assertThat(r.status().code()).isEqualTo(401);
            assertThat(r.headers().get(HttpHeaderNames.WWW_AUTHENTICATE)).isEqualTo("Bearer");
            return r.content().toString(StandardCharsets.UTF_8);
        } finally {
            r.release();
        }
    }

    @Test
    void missingAndWrongTokensAreRefusedAlike() {
        EmbeddedChannel ch = new EmbeddedChannel(new AuthHandler(TOKEN.getBytes(StandardCharsets.UTF_8)));
        FullHttpRequest none = request("/predictions/intent", null);
        ch.writeInbound(none);
        String missing = refusal(ch, none);
        FullHttpRequest wrong = request("/predictions/intent", "Bearer " + TOKEN + "x");
        ch.writeInbound(wrong);
        assertThat(refusal(ch, wrong)).isEqualTo(missing).contains("bearer token").doesNotContain(TOKEN);
        FullHttpRequest basic = request("/models", "Basic " + TOKEN);
        ch.writeInbound(basic);
        assertThat(refusal(ch, basic)).isEqualTo(missing);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void theRightTokenAndHealthChecksPassThrough() {
        EmbeddedChannel ch = new EmbeddedChannel(new AuthHandler(TOKEN.getBytes(StandardCharsets.UTF_8)));
        for (FullHttpRequest r : new FullHttpRequest[] {request("/predictions/intent", "Bearer " + TOKEN),
                request("/models", "bearer  " + TOKEN + " "), request("/ping", null), request("/v2/health/ready?verbose=1", null)}) {
            ch.writeInbound(r);
            FullHttpRequest passed = ch.readInbound();
            assertThat(passed).as(r.uri()).isSameAs(r);
            assertThat(passed.refCnt()).isEqualTo(1);
            passed.release();
        }
        assertThat((Object) ch.readOutbound()).isNull();
        assertFalse(ch.finishAndReleaseAll());
    }
}
