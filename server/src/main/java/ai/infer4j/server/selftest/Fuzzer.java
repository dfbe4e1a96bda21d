package ai.infer4j.server.selftest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sends bad requests to a running server and checks each answer: the expected 4xx, a JSON body
 * {@code {"code", "type", "message"}} with no stack trace, and a good request right after that succeeds.
 */
public final class Fuzzer {
    /** What a campaign found; {@code failures} must be empty. */
    public record Report(int tried, Map<String, Integer> byKind, int goodRequests, List<String> failures) { }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GOOD = "{\"text\": \"what is the weather in paris\"}";

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;

    public Fuzzer(int port) {
        this.port = port;
    }

    public Report run(List<BadRequests.Case> cases) throws InterruptedException {
        Map<String, Integer> byKind = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        int good = 0;
        for (BadRequests.Case c : cases) {
            byKind.merge(c.kind(), 1, Integer::sum);
            try {
                HttpResponse<String> r = send(c.method(), c.path(), c.contentType(), c.body());
                String problem = check(r, c);
                if (problem != null) failures.add(c + ": " + problem);
            } catch (IOException e) {
                // an over-size body may be cut off by the server closing the connection after its 413
                if (!c.expected().contains(413)) failures.add(c + ": " + e);
            }
            try {
                HttpResponse<String> ok = send("POST", "/predictions/intent", "application/json", GOOD.getBytes(StandardCharsets.UTF_8));
                if (ok.statusCode() != 200) failures.add("good request after " + c + " got " + ok.statusCode() + " " + ok.body());
                good++;
            } catch (IOException e) {
                failures.add("good request after " + c + " failed: " + e);
            }
        }
        return new Report(cases.size(), byKind, good, failures);
    }

    private static String check(HttpResponse<String> r, BadRequests.Case c) {
        if (!c.expected().contains(r.statusCode())) return "status " + r.statusCode() + " (expected " + c.expected() + "): " + r.body();
        try {
            JsonNode j = JSON.readTree(r.body());
            if (j.path("code").asInt() != r.statusCode() || !j.path("type").isTextual() || !j.path("message").isTextual())
                return "body is not {code, type, message}: " + r.body();
            String m = j.path("message").asText();
            if (m.contains("Exception") || m.contains("\tat ") || m.contains("at ai.infer4j")) return "message leaks internals: " + m;
        } catch (IOException e) {
            return "body is not JSON: " + r.body();
        }
        return null;
    }

    private HttpResponse<String> send(String method, String path, String contentType, byte[] body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
        if (contentType != null) b.header("Content-Type", contentType);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Opens {@code n} connections that send headers and half a body, then stall. Returns them open;
     * the caller checks that good requests still succeed and that the server closes these after its idle timeout.
     */
    public List<Socket> slowLoris(int n) throws IOException {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /predictions/intent HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nhalf a bo")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            sockets.add(s);
        }
        return sockets;
    }

    /** True when the server has closed the connection (read returns end of stream) within {@code timeout}. */
    public static boolean closedByServer(Socket s, Duration timeout) throws IOException {
        s.setSoTimeout((int) timeout.toMillis());
        InputStream in = s.getInputStream();
        try {
            while (in.read() >= 0) {
                // drain anything the server said before closing
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server
        }
    }

    /** Sends raw bytes that are not HTTP; returns the status line the server answered, or "" if it just closed. */
    public String garbage(byte[] bytes) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            byte[] buf = s.getInputStream().readNBytes(12);
            return new String(buf, StandardCharsets.US_ASCII);
        }
    }
}
