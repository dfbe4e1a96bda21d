package ai.infer4j.engine.train;

import ai.infer4j.engine.io.AtomicFiles;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.backbone.PoolingMode;
import ai.infer4j.engine.tokenize.Tokens;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Pooled embeddings of a list of texts, computed once per backbone and kept on disk
 * ({@code dir/<sha256>.f32}), so a grid search or a re-run does not embed the data again.
 */
public final class EmbeddingCache {
    private final Path dir;

    public EmbeddingCache(Path dir) {
        this.dir = dir;
    }

    /** Embeddings of {@code texts} in order, from the cache or computed (and then cached). */
    public float[][] embed(Backbone backbone, List<String> texts, String stage, Progress progress) {
        return embed(backbone, texts, backbone.tokenizer().maxLength(), stage, progress);
    }

    /** Embeddings of {@code texts}, each cut to {@code maxTokens} tokens (e.g. a pair model's tokens per side). */
    public float[][] embed(Backbone backbone, List<String> texts, int maxTokens, String stage, Progress progress) {
        Path file = dir.resolve(key(backbone, texts, maxTokens) + ".f32");
        if (Files.isRegularFile(file)) {
            try {
                float[][] cached = read(file);
                if (cached.length == texts.size()) {
                    progress.update(stage + " (cached)", texts.size(), texts.size());
                    return cached;
                }
            } catch (IOException e) {
                // a damaged cache file is recomputed below
            }
        }
        List<Tokens> tokens = texts.stream().map(t -> backbone.tokenizer().encode(TextInput.of(t)).truncateTo(maxTokens)).toList();
        float[][] v = backbone.forwardAll(tokens, 64, done -> progress.update(stage, done, texts.size()));
        try {
            write(file, v);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write embedding cache " + file + ": " + e.getMessage(), e);
        }
        return v;
    }

    private static String key(Backbone backbone, List<String> texts, int maxTokens) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            int len = backbone.tokenizer().maxLength();
            // the intent cache key stays what it was; a shorter cut gets its own key
            String cut = maxTokens >= len ? "" : "cut " + maxTokens + "\n";
            // mean pooling keeps the key it always had; another pooling of the same file gets its own
            String pooling = backbone.files().pooling() == PoolingMode.MEAN ? "" : "pooling " + backbone.files().pooling() + "\n";
            md.update((backbone.id() + "\n" + len + "\n" + cut + pooling).getBytes(StandardCharsets.UTF_8));
            for (String t : texts) {
                md.update(t.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static float[][] read(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            int n = in.readInt();
            int dim = in.readInt();
            float[][] v = new float[n][dim];
            for (float[] row : v) for (int d = 0; d < dim; d++) row[d] = in.readFloat();
            return v;
        }
    }

    private void write(Path file, float[][] v) throws IOException {
        AtomicFiles.write(file, os -> {
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os, 1 << 16));
            out.writeInt(v.length);
            out.writeInt(v.length == 0 ? 0 : v[0].length);
            for (float[] row : v) for (float x : row) out.writeFloat(x);
            out.flush();
        });
    }
}
