package ai.infer4j.bench.tune;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Cold start: from starting a server process to its first good answer. Starts {@code command} (e.g.
 * {@code java -jar cli/target/infer4j.jar serve}) with free loopback ports appended as
 * {@code --inference-address/--management-address/--metrics-address}, polls {@code POST /predictions/{model}} every
 * 10 ms until a 200, then stops the process (SIGTERM, then kill after 15 s).
 */
public final class ColdStart {
    private ColdStart() {
    }

    /**
     * @param millis time to first good answer, or -1 when there was none
     * @param error  why not, or null
     */
    public record Result(double millis, String error) {
        public boolean ok() {
            return millis >= 0;
        }
    }

    /**
     * @param output where the child's stdout and stderr go (appended)
     */
    public static Result measure(List<String> command, String model, Duration timeout, Path output) throws InterruptedException {
        int[] ports;
        try {
            ports = freePorts(3);
        } catch (IOException e) {
            return new Result(-1, "no free port: " + e.getMessage());
        }
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of("--inference-address", "127.0.0.1:" + ports[0], "--management-address", "127.0.0.1:" + ports[1],
                "--metrics-address", "127.0.0.1:" + ports[2]));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        File log = output.toFile();
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log));
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[0] + "/predictions/" + model))
                .timeout(Duration.ofSeconds(5)).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("what is my account balance")).build();
        long t0 = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Result(-1, "cannot start " + cmd + ": " + e.getMessage());
        }
        try {
            long until = t0 + timeout.toNanos();
            while (System.nanoTime() < until) {
                if (!p.isAlive()) return new Result(-1, "server exited with " + p.exitValue() + " before answering; see " + log);
                try {
                    HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) return new Result((System.nanoTime() - t0) / 1e6, null);
                } catch (IOException notYet) {
                    // not listening yet
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            return new Result(-1, "no good answer within " + timeout.toSeconds() + " s; see " + log);
        } finally {
            p.destroy();
            if (!p.waitFor(15, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    static int[] freePorts(int n) throws IOException {
        int[] out = new int[n];
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(s);
                out[i] = s.getLocalPort();
            }
        } finally {
            for (ServerSocket s : held) s.close();
        }
        return out;
    }

    /**
     * The command that starts this same build's server: this JVM's {@code java} with this JVM's class path and
     * {@code mainClass serve}. Works when tune runs from the CLI jar or from a development class path.
     */
    public static List<String> sameBuild(String mainClass) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), mainClass, "serve");
    }
}
