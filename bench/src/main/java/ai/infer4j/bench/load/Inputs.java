package ai.infer4j.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The texts a benchmark sends, and the order it sends them in: cycled in file order, or sampled with a seed.
 * Not thread-safe: one sender thread draws from it.
 */
public final class Inputs {
    /** Used when no {@code --data} is given: short queries like the real-time intent traffic. */
    public static final List<String> DEFAULT = List.of(
            "I lost my credit card, what do I do", "what's the weather in paris", "set an alarm for 7am",
            "how do I reset my password", "play some jazz", "transfer $100 to my savings account",
            "what is my account balance", "book a table for two tonight", "how long to boil an egg",
            "translate good morning to spanish", "cancel my reservation", "is my flight on time");

    private final List<String> texts;
    private final SplittableRandom random;
    private int next;

    private Inputs(List<String> texts, Long seed) {
        if (texts.isEmpty()) throw new IllegalArgumentException("no inputs: the data file has no texts");
        this.texts = List.copyOf(texts);
        this.random = seed == null ? null : new SplittableRandom(seed);
    }

    /** In order, starting again at the end. */
    public static Inputs cycled(List<String> texts) {
        return new Inputs(texts, null);
    }

    /** Uniformly at random with replacement; the same seed gives the same sequence. */
    public static Inputs sampled(List<String> texts, long seed) {
        return new Inputs(texts, seed);
    }

    /**
     * Reads texts from a file: JSON lines take the {@code "text"} field (or {@code "inputs"}/{@code "left"} when
     * that is absent, as raw JSON), any other line is taken as it is. Blank lines are skipped.
     */
    public static List<String> read(Path file) {
        ObjectMapper json = new ObjectMapper();
        List<String> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String t = line.strip();
                if (t.isEmpty()) continue;
                if (t.startsWith("{")) {
                    JsonNode n = json.readTree(t);
                    JsonNode text = n.get("text");
                    out.add(text != null && text.isTextual() ? text.asText() : t);
                } else {
                    out.add(t);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read --data " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    public String next() {
        if (random != null) return texts.get(random.nextInt(texts.size()));
        String t = texts.get(next);
        next = (next + 1) % texts.size();
        return t;
    }

    public List<String> all() {
        return texts;
    }
}
