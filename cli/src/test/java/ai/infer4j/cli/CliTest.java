package ai.infer4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class CliTest {
    /** What one in-process {@code infer4j} run printed and returned (also used by {@code ServeArgsTest}). */
    record Run(int code, String out, String err) { }

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static String cache() {
        return Path.of("target", "test-cache").toAbsolutePath().toString();
    }

    @Test
    void predictPrintsTheIntentAndItsProbability() {
        Run r = run("predict", "--cache-dir", cache(), "I lost my credit card, what do I do");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("report_lost_card\t0.");
    }

    @Test
    void predictJsonGivesOneObjectPerInput() {
        Run r = run("predict", "--cache-dir", cache(), "--json", "book a flight to rome", "what time is it");
        assertThat(r.code()).isZero();
        assertThat(r.out().lines()).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("{\"text\":").contains("\"label\":").contains("\"scores\":"));
    }

    @Test
    void badInputAndUnknownModelExitWith2AndAMessage(@TempDir Path dir) {
        Run empty = run("predict", "--cache-dir", cache(), " ");
        assertThat(empty.code()).isEqualTo(2);
        assertThat(empty.err()).contains("empty");
        Run unknown = run("predict", "--cache-dir", cache(), "--model", dir.resolve("nope.mar").toString(), "hi");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("error:").contains("nope.mar").doesNotContain("Exception");
    }

    @Test
    void benchRunsARateLadderInOneProcessWithAReportPerRate(@TempDir Path dir) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger served = new AtomicInteger();
        server.createContext("/predictions/m", ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] ok = "{\"label\":\"x\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, ok.length);
            ex.getResponseBody().write(ok);
            ex.close();
            served.incrementAndGet();
        });
        server.start();
        try {
            Run r = run("bench", "--url", "http://127.0.0.1:" + server.getAddress().getPort() + "/predictions/m", "--rate", "20,40",
                    "--warmup", "0s", "--duration", "1s", "--report", dir.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("open loop, 20 req/s offered").contains("open loop, 40 req/s offered");
            assertThat(dir.resolve("rate-20/summary.json")).exists();
            assertThat(dir.resolve("rate-40/summary.json")).exists();
            assertThat(served.get()).isBetween(50, 70); // 20 + 40 measured, nothing sent twice or lost
        } finally {
            server.stop(0);
        }
    }

    @Test
    void helpListsEveryCommand() {
        Run r = run("--help");
        assertThat(r.out()).contains("serve", "predict", "train", "eval", "archive", "optimize", "bench", "tune", "batch", "monitor", "selftest");
    }
}
