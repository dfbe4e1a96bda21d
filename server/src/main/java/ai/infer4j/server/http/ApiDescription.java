package ai.infer4j.server.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The OpenAPI 3.0.1 descriptions TorchServe answers on {@code OPTIONS /}: one per listener, shipped as resources. */
public final class ApiDescription {
    private static final byte[] INFERENCE = read("inference.json");
    private static final byte[] MANAGEMENT = read("management.json");

    private ApiDescription() {
    }

    public static FullHttpResponse inference() {
        return response(INFERENCE);
    }

    public static FullHttpResponse management() {
        return response(MANAGEMENT);
    }

    private static FullHttpResponse response(byte[] body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        return r;
    }

    private static byte[] read(String name) {
        String res = "ai/infer4j/server/openapi/" + name;
        try (InputStream in = ApiDescription.class.getClassLoader().getResourceAsStream(res)) {
            if (in == null) throw new IllegalStateException("API description " + res + " is missing from this build");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + res, e);
        }
    }
}
