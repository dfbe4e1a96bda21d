package ai.infer4j.server;

import ai.infer4j.server.selftest.BadRequests;
import ai.infer4j.server.selftest.Fuzzer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class FuzzTest {
    private static InferenceServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.start(Map.of("max_request_size", "65536", "idle_timeout", "1"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void thousandsOfBadRequestsGetJson4xxAndAGoodRequestAfterEachSucceeds() throws Exception {
        var cases = new BadRequests(2026, 65536, 20_000).generate(1200);
        Fuzzer.Report r = new Fuzzer(server.inferencePort()).run(cases);
        assertThat(r.failures()).isEmpty();
        assertThat(r.tried()).isEqualTo(1200);
        assertThat(r.byKind()).hasSize(12);
        assertThat(r.goodRequests()).isEqualTo(1200);
        TestServers.awaitCounted(server);
        assertThat(server.inFlight()).as("admitted requests not yet answered").isZero();
    }

    @Test
    void slowLorisConnectionsDoNotBlockOthersAndAreClosed() throws Exception {
        Fuzzer f = new Fuzzer(server.inferencePort());
        List<Socket> slow = f.slowLoris(50);
        try {
            var ok = f.run(new BadRequests(7, 65536, 20_000).generate(12));
            assertThat(ok.failures()).isEmpty();
            for (Socket s : slow) assertThat(Fuzzer.closedByServer(s, Duration.ofSeconds(10))).isTrue();
        } finally {
            for (Socket s : slow) s.close();
        }
    }

    @Test
    void garbageThatIsNotHttpIsRefused() throws Exception {
        Fuzzer f = new Fuzzer(server.inferencePort());
        String status = f.garbage("\u0016\u0003\u0001 not http at all\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(status).isIn("HTTP/1.1 400", "");
        assertThat(f.run(new BadRequests(8, 65536, 20_000).generate(1)).failures()).isEmpty();
    }
}
