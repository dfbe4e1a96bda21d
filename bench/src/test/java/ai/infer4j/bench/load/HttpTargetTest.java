package ai.infer4j.bench.load;

import ai.infer4j.bench.Bench;
import ai.infer4j.bench.record.Outcome;
import ai.infer4j.bench.record.RunSummary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class HttpTargetTest {
    private HttpServer server;
    private ExecutorService worker;
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final List<String> contentTypes = new CopyOnWriteArrayList<>();
    private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        // /status/NNN answers NNN with a fixed-length body; /chunked answers 200 with a chunked body
        server.createContext("/", ex -> {
            bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            contentTypes.add(ex.getRequestHeaders().getFirst("Content-Type"));
            clientPorts.add(ex.getRemoteAddress().getPort());
            String p = ex.getRequestURI().getPath();
            byte[] body = "{\"x\":1}".getBytes(StandardCharsets.UTF_8);
            if (p.startsWith("/status/")) {
                ex.sendResponseHeaders(Integer.parseInt(p.substring("/status/".length())), body.length);
                ex.getResponseBody().write(body);
            } else {
                ex.sendResponseHeaders(200, 0);
                for (int i = 0; i < 3; i++) ex.getResponseBody().write(body);
            }
            ex.close();
        });
        worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "http-target-test-server"));
        server.setExecutor(worker);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        worker.shutdownNow();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private static Outcome await(HttpTarget t, String input) throws Exception {
        return t.send(input).get(10, TimeUnit.SECONDS);
    }

    @Test
    void statusesMapToOutcomesAndChunkedAnswersAreRead() throws Exception {
        Map<Integer, Outcome> expected = Map.of(200, Outcome.OK, 503, Outcome.REFUSED, 429, Outcome.REFUSED,
                400, Outcome.CLIENT_ERROR, 404, Outcome.CLIENT_ERROR, 500, Outcome.SERVER_ERROR);
        for (var e : expected.entrySet()) {
            try (HttpTarget t = new HttpTarget(uri("/status/" + e.getKey()), HttpTarget.Api.TORCHSERVE, Duration.ofSeconds(10), 4)) {
                assertThat(await(t, "hi")).as("status %d", e.getKey()).isEqualTo(e.getValue());
            }
        }
        try (HttpTarget t = new HttpTarget(uri("/chunked"), HttpTarget.Api.TORCHSERVE, Duration.ofSeconds(10), 4)) {
            assertThat(await(t, "hi")).isEqualTo(Outcome.OK);
            assertThat(await(t, "hi")).isEqualTo(Outcome.OK);
        }
    }

    @Test
    void cachedRequestsGoOutWholeEveryTimeOnOneKeepAliveConnection() throws Exception {
        try (HttpTarget t = new HttpTarget(uri("/status/200"), HttpTarget.Api.TORCHSERVE, Duration.ofSeconds(10), 4)) {
            for (int i = 0; i < 5; i++) {
                assertThat(await(t, "héllo wörld")).isEqualTo(Outcome.OK);
                assertThat(await(t, "second")).isEqualTo(Outcome.OK);
            }
        }
        assertThat(bodies).hasSize(10).containsOnly("héllo wörld", "second");
        assertThat(bodies.get(8)).isEqualTo("héllo wörld");
        assertThat(contentTypes).containsOnly("text/plain; charset=utf-8");
        assertThat(clientPorts).hasSize(1);  // sequential requests reuse the one connection
    }

    @Test
    void kserveBodyIsABytesTensor() throws Exception {
        try (HttpTarget t = new HttpTarget(uri("/status/200"), HttpTarget.Api.KSERVE, Duration.ofSeconds(10), 4)) {
            assertThat(await(t, "say \"hi\"")).isEqualTo(Outcome.OK);
        }
        JsonNode in = new ObjectMapper().readTree(bodies.get(0)).get("inputs").get(0);
        assertThat(in.get("datatype").asText()).isEqualTo("BYTES");
        assertThat(in.get("data").get(0).asText()).isEqualTo("say \"hi\"");
        assertThat(contentTypes).containsOnly("application/json");
    }

    @Test
    void encodedRequestIsOneWellFormedHttpMessage() {
        try (HttpTarget t = new HttpTarget(URI.create("http://example.test:8123/predictions/m?x=1"), HttpTarget.Api.TORCHSERVE, Duration.ofSeconds(1), 1)) {
            String wire = new String(t.encode("ünïcode"), StandardCharsets.UTF_8);
            assertThat(wire).startsWith("POST /predictions/m?x=1 HTTP/1.1\r\nHost: example.test:8123\r\n")
                    .contains("Content-Length: " + "ünïcode".getBytes(StandardCharsets.UTF_8).length + "\r\n")
                    .endsWith("\r\n\r\nünïcode");
        }
    }

    @Test
    void silentPeerTimesOutAndAClosingPeerIsAnIoError() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    Socket s1 = silent.accept();      // reads the request and never answers
                    InputStream in = s1.getInputStream();
                    in.read(new byte[4096]);
                    Socket s2 = silent.accept();      // reads the request and hangs up
                    s2.getInputStream().read(new byte[4096]);
                    s2.close();
                    in.read(new byte[4096]);          // holds s1 open until the client gives up on it
                    s1.close();
                } catch (IOException e) {
                    // the test ended
                }
            }, "http-target-test-silent");
            acceptor.setDaemon(true);
            acceptor.start();
            URI u = URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/predictions/m");
            try (HttpTarget t = new HttpTarget(u, HttpTarget.Api.TORCHSERVE, Duration.ofMillis(200), 4)) {
                var first = t.send("one");
                assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(Outcome.TIMEOUT);
                assertThat(await(t, "two")).isEqualTo(Outcome.IO_ERROR);
            }
        }
    }

    @Test
    void openLoopRunsOnEpollPacedOnItsLoopAndOnNioPacedByAThread() throws Exception {
        List<HttpTarget.Transport> transports = Epoll.isAvailable() ? List.of(HttpTarget.Transport.NIO, HttpTarget.Transport.EPOLL)
                : List.of(HttpTarget.Transport.NIO);
        for (HttpTarget.Transport transport : transports) {
            try (HttpTarget t = new HttpTarget(uri("/status/200"), HttpTarget.Api.TORCHSERVE, Duration.ofSeconds(10), 16, transport)) {
                assertThat(t.epoll()).isEqualTo(transport == HttpTarget.Transport.EPOLL);
                assertThat(t.pacer() != null).as("paced on the loop").isEqualTo(transport == HttpTarget.Transport.EPOLL);
                LoadSpec spec = LoadSpec.open(200, Duration.ZERO, Duration.ofMillis(300)).withInterval(Duration.ofMillis(100));
                RunSummary s = Bench.run(t, Inputs.cycled(List.of("a", "b")), spec, null, r -> { }).summary();
                assertThat(s.sent()).as(transport.name()).isEqualTo(60);
                assertThat(s.ok()).as(transport.name()).isEqualTo(60);
            }
        }
    }
}
