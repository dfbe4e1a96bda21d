package ai.infer4j.engine.task;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Heads as bytes, for tests that check a head read another way is the very same head. */
final class HeadBytes {
    private HeadBytes() {
    }

    /** A built-in head's JSON resource, e.g. {@code intent}. */
    static byte[] builtIn(String name) throws IOException {
        try (InputStream in = HeadBytes.class.getClassLoader().getResourceAsStream("ai/infer4j/engine/heads/" + name + ".json")) {
            if (in == null) throw new IOException("no built-in head " + name);
            return in.readAllBytes();
        }
    }

    /** The head as HeadFiles writes it to {@code out}: the bytes that say two heads are the same head. */
    static byte[] written(Head head, Path out) throws IOException {
        if (head instanceof PairHead p) HeadFiles.write(p, out);
        else HeadFiles.write((SoftmaxHead) head, out);
        return Files.readAllBytes(out);
    }
}
