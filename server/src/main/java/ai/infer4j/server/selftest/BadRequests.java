package ai.infer4j.server.selftest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Generates hostile and broken requests for the inference API, each with the statuses a correct
 * server may answer. Seeded: the same seed gives the same requests.
 */
public final class BadRequests {
    /** One generated request and what a correct server answers. */
    public record Case(String kind, String method, String path, String contentType, byte[] body, Set<Integer> expected) {
        @Override
        public String toString() {
            String b = body == null ? "" : new String(body, 0, Math.min(body.length, 60), StandardCharsets.UTF_8);
            return kind + " " + method + " " + path + " [" + b.replaceAll("\\p{Cntrl}", "?") + (body != null && body.length > 60 ? "..." : "") + "]";
        }
    }

    private static final String[] VALID_JSON = {
            "{\"text\": \"book a flight to rome\"}",
            "{\"inputs\": [\"what is my balance\", {\"text\": \"play jazz\"}]}",
            "{\"text\": \"a\", \"text_pair\": \"b\"}"};
    private static final String[] WRONG_TYPES = {
            "{\"text\": 1}", "{\"text\": true}", "{\"text\": null}", "{\"text\": [\"a\"]}", "{\"text\": {\"a\": 1}}",
            "{\"inputs\": {}}", "{\"inputs\": 3}", "{\"inputs\": [null]}", "{\"inputs\": [[\"a\"]]}", "{\"inputs\": [1.5]}",
            "{\"inputs\": [{\"txt\": \"a\"}]}", "{\"text\": \"a\", \"text_pair\": 7}", "{}", "{\"inputs\": []}", "42", "true", "null",
            "[]", "[1, 2]"};
    private static final String[] BLANKS = {"", " ", "\n\t  ", "\u00a0\u2003", "\u3000", "\r\n\r\n"};

    private final SplittableRandom rnd;
    private final int maxRequestBytes;
    private final int maxTextChars;

    public BadRequests(long seed, int maxRequestBytes, int maxTextChars) {
        this.rnd = new SplittableRandom(seed);
        this.maxRequestBytes = maxRequestBytes;
        this.maxTextChars = maxTextChars;
    }

    /** {@code n} cases, cycling through every kind. */
    public List<Case> generate(int n) {
        List<Case> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(next(i % 12));
        return out;
    }

    private Case next(int kind) {
        return switch (kind) {
            case 0 -> json("broken-json", truncate(VALID_JSON[rnd.nextInt(VALID_JSON.length)]), 400);
            case 1 -> json("nested-json", nested(70 + rnd.nextInt(5000)), 400);
            case 2 -> json("wrong-type", WRONG_TYPES[rnd.nextInt(WRONG_TYPES.length)], 400);
            case 3 -> new Case("huge-body", "POST", "/predictions/intent", "text/plain", filler(maxRequestBytes + 1 + rnd.nextInt(100_000)), Set.of(413));
            case 4 -> new Case("blank-text", "POST", "/predictions/intent", "text/plain",
                    BLANKS[rnd.nextInt(BLANKS.length)].getBytes(StandardCharsets.UTF_8), Set.of(400));
            case 5 -> new Case("invalid-utf8", "POST", "/predictions/intent", "text/plain", invalidUtf8(), Set.of(400));
            case 6 -> new Case("control-chars", "POST", "/predictions/intent", "text/plain", controls(), Set.of(400));
            case 7 -> new Case("long-token", "POST", "/predictions/intent", "text/plain",
                    "x".repeat(maxTextChars + 1 + rnd.nextInt(5000)).getBytes(StandardCharsets.UTF_8), Set.of(422, 413));
            case 8 -> new Case("unknown-model", "POST", "/predictions/" + name(), "text/plain", "hello".getBytes(StandardCharsets.UTF_8), Set.of(404));
            case 9 -> new Case("unknown-version", "POST", "/predictions/intent/" + (2 + rnd.nextInt(1000)), "text/plain",
                    "hello".getBytes(StandardCharsets.UTF_8), Set.of(404));
            case 10 -> new Case("wrong-method", new String[] {"GET", "DELETE", "PATCH", "OPTIONS"}[rnd.nextInt(4)], "/predictions/intent",
                    null, null, Set.of(405));
            default -> new Case("json-string-escape", "POST", "/predictions/intent", "application/json",
                    ("{\"text\": \"\\u" + Integer.toHexString(0xd800 + rnd.nextInt(0x400)) + "\"}").getBytes(StandardCharsets.UTF_8), Set.of(400));
        };
    }

    private static Case json(String kind, String body, int status) {
        return new Case(kind, "POST", "/predictions/intent", "application/json", body.getBytes(StandardCharsets.UTF_8), Set.of(status));
    }

    private String truncate(String s) {
        return s.substring(0, 1 + rnd.nextInt(s.length() - 2));
    }

    private static String nested(int depth) {
        return "{\"text\": " + "[".repeat(depth) + "]".repeat(depth) + "}";
    }

    private byte[] filler(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) ('a' + rnd.nextInt(26));
        return b;
    }

    private byte[] invalidUtf8() {
        byte[] b = filler(5 + rnd.nextInt(50));
        int at = rnd.nextInt(b.length);
        b[at] = (byte) (0x80 + rnd.nextInt(0x40)); // a continuation byte with no lead byte
        return b;
    }

    private byte[] controls() {
        StringBuilder sb = new StringBuilder();
        int n = 1 + rnd.nextInt(20);
        for (int i = 0; i < n; i++) sb.append((char) (1 + rnd.nextInt(8))); // \u0001..\u0008: not whitespace, removed by the normaliser
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private String name() {
        return "model-" + Long.toHexString(rnd.nextLong());
    }
}
