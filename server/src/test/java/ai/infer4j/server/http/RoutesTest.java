package ai.infer4j.server.http;

import ai.infer4j.engine.error.BadInputException;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The route table on Netty's embedded channel: dispatch, path variables, 404, 405 with Allow, errors as JSON, no leaks. */
class RoutesTest {
    private final List<Integer> finished = new ArrayList<>();

    private EmbeddedChannel channel() {
        Routes routes = new Routes("use /things/{id}")
                .add(HttpMethod.GET, "/things/{id}", x -> x.json(HttpResponseStatus.OK, Map.of("id", x.var("id"), "q", String.valueOf(x.param("q")))))
                .add(HttpMethod.POST, "/things/{id}", x -> x.json(HttpResponseStatus.OK, Map.of("body", new String(x.body(), StandardCharsets.UTF_8))))
                .add(HttpMethod.GET, "/bad", x -> {
                    throw new BadInputException("parameter 'n' must be an integer");
                })
                .add(HttpMethod.GET, "/broken", x -> {
                    throw new IllegalStateException("a bug");
                });
        return new EmbeddedChannel(new RouteHandler(routes, (x, status) -> finished.add(status)));
    }

    private static FullHttpResponse call(EmbeddedChannel ch, HttpMethod m, String uri, String body) {
        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, m, uri, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8)));
        return ch.readOutbound();
    }

    private static String text(FullHttpResponse r) {
        try {
            return r.content().toString(StandardCharsets.UTF_8);
        } finally {
            r.release();
        }
    }

    @Test
    void bindsPathVariablesAndQueryAndReadsTheBody() {
        EmbeddedChannel ch = channel();
        FullHttpResponse r = call(ch, HttpMethod.GET, "/things/42?q=x", "");
        assertThat(r.status().code()).isEqualTo(200);
        assertThat(text(r)).contains("\"id\":\"42\"").contains("\"q\":\"x\"");
        assertThat(text(call(ch, HttpMethod.POST, "/things/7", "hello"))).contains("\"body\":\"hello\"");
        assertThat(finished).containsExactly(200, 200);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void wrongMethodIs405WithAllowAndUnknownPathIs404() {
        EmbeddedChannel ch = channel();
        FullHttpResponse r = call(ch, HttpMethod.DELETE, "/things/1", "");
        assertThat(r.status().code()).isEqualTo(405);
        assertThat(r.headers().get(HttpHeaderNames.ALLOW)).isEqualTo("GET, POST");
        r.release();
        FullHttpResponse nf = call(ch, HttpMethod.GET, "/nothing/here", "");
        assertThat(nf.status().code()).isEqualTo(404);
        assertThat(text(nf)).contains("\"type\":\"NotFound\"").contains("use /things/{id}");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void handlerExceptionsBecomeTheirStatusOrAnIncidentWithoutStackTrace() {
        EmbeddedChannel ch = channel();
        FullHttpResponse bad = call(ch, HttpMethod.GET, "/bad", "");
        assertThat(bad.status().code()).isEqualTo(400);
        assertThat(text(bad)).contains("must be an integer");
        FullHttpResponse broken = call(ch, HttpMethod.GET, "/broken", "");
        assertThat(broken.status().code()).isEqualTo(500);
        assertThat(text(broken)).contains("incident").doesNotContain("IllegalStateException").doesNotContain("a bug");
        assertFalse(ch.finishAndReleaseAll());
    }
}
