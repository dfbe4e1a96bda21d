package ai.infer4j.server;

import ai.infer4j.server.config.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AuthTest {
    private static final String TOKEN = "s3cret-token-0123456789abcdef";

    private static HttpResponse<String> call(int port, String method, String path, String auth) throws Exception {
        var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).method(method,
                method.equals("POST") ? HttpRequest.BodyPublishers.ofString("{\"text\": \"hello\"}") : HttpRequest.BodyPublishers.noBody());
        b.header("Content-Type", "application/json");
        if (auth != null) b.header("Authorization", auth);
        return TestServers.CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void tokenGuardsInferenceAndManagementButNotHealth(@TempDir Path dir) throws Exception {
        Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, TOKEN + "\n");
        try (InferenceServer s = TestServers.start(Map.of("auth_token_file", tokenFile.toString()))) {
            int ip = s.inferencePort(), mp = s.managementPort();
            var missing = call(ip, "POST", "/predictions/intent", null);
            var wrong = call(ip, "POST", "/predictions/intent", "Bearer " + TOKEN.substring(0, TOKEN.length() - 1) + "x");
            var basic = call(ip, "POST", "/predictions/intent", "Basic " + TOKEN);
            for (var r : List.of(missing, wrong, basic)) {
                assertThat(r.statusCode()).isEqualTo(401);
                assertThat(r.body()).isEqualTo(missing.body()).doesNotContain(TOKEN);
                assertThat(r.headers().firstValue("WWW-Authenticate")).contains("Bearer");
            }
            assertThat(call(ip, "POST", "/predictions/intent", "Bearer " + TOKEN).statusCode()).isEqualTo(200);
            assertThat(call(mp, "GET", "/models", null).statusCode()).isEqualTo(401);
            assertThat(call(mp, "GET", "/models", "Bearer " + TOKEN).statusCode()).isEqualTo(200);
            assertThat(call(ip, "GET", "/ping", null).statusCode()).isEqualTo(200);
            assertThat(call(ip, "GET", "/v2/health/ready", null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void listenersBindToLocalhostByDefault() {
        ServerConfig d = ServerConfig.defaults();
        assertThat(d.listeners().inference().getHostString()).isEqualTo("127.0.0.1");
        assertThat(d.listeners().management().getHostString()).isEqualTo("127.0.0.1");
        assertThat(d.listeners().metrics().getHostString()).isEqualTo("127.0.0.1");
        assertThat(d.security().allowedUrls()).isEmpty();
    }
}
