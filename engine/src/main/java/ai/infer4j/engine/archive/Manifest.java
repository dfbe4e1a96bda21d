package ai.infer4j.engine.archive;

import ai.infer4j.engine.error.ModelLoadException;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code MAR-INF/MANIFEST.json} of a model archive.
 *
 * @param modelName    name the model is served under ({@code [A-Za-z0-9_.-]}, 1..64 chars)
 * @param modelVersion version string, e.g. {@code 1} or {@code 1-int8}
 * @param task         {@code classify}, {@code embed} or {@code pair} (a pair head, or a cross-encoder {@code model.onnx}
 *                     without heads; {@code extra} may hold {@code "record": {"fields", "maxTokensPerSide"}} and
 *                     {@code "threshold"} for a cross-encoder)
 * @param handler      a built-in handler ({@link #HANDLERS}, the default is the task's) or the name of a custom handler
 *                     installed in {@code plugins_dir} (checked when the archive is loaded; no code is ever loaded from
 *                     an archive); {@code extra} may hold {@code "handlerOptions"}, strings the handler reads
 * @param backbone     {@code model.onnx} (in the archive) or {@code builtin:all-MiniLM-L6-v2}
 * @param heads        head files in the archive, e.g. {@code heads/intent.json}; the first is the primary head
 * @param maxLength    tokens per sequence, special tokens included
 * @param batching     optional batching settings ({@code batchSize}, {@code maxBatchDelayMs}, ...)
 * @param extra        other fields kept as they are (e.g. an optimisation report)
 */
public record Manifest(String modelName, String modelVersion, String task, String handler, String backbone,
                       List<String> heads, int maxLength, Map<String, Object> batching, Map<String, JsonNode> extra) {
    public static final Set<String> HANDLERS = Set.of("classify", "embed", "pair");
    public static final Set<String> TASKS = Set.of("classify", "embed", "pair");

    public Manifest {
        heads = heads == null ? List.of() : List.copyOf(heads);
        batching = batching == null ? Map.of() : Map.copyOf(batching);
        extra = extra == null ? Map.of() : Map.copyOf(extra);
        if (modelName == null || !modelName.matches("[A-Za-z0-9_.-]{1,64}"))
            throw new ModelLoadException("manifest modelName must match [A-Za-z0-9_.-]{1,64}, got '" + modelName + "'");
        if (modelVersion == null || !modelVersion.matches("[A-Za-z0-9_.-]{1,32}"))
            throw new ModelLoadException("manifest modelVersion must match [A-Za-z0-9_.-]{1,32}, got '" + modelVersion + "'");
        if (!TASKS.contains(task)) throw new ModelLoadException("manifest task must be one of " + TASKS + ", got '" + task + "'");
        if (handler == null) handler = task;
        if (!HANDLERS.contains(handler) && !handler.matches("[A-Za-z0-9_.-]{1,64}"))
            throw new ModelLoadException("manifest handler '" + handler + "' is neither a built-in handler " + HANDLERS
                    + " nor a handler name ([A-Za-z0-9_.-]{1,64}) installed in plugins_dir; infer4j never loads handler code from an archive");
        if (backbone == null || backbone.isBlank()) throw new ModelLoadException("manifest has no 'backbone'");
        for (String h : heads)
            if (!h.startsWith("heads/") || !h.endsWith(".json") || h.contains(".."))
                throw new ModelLoadException("manifest head '" + h + "' must be a file heads/NAME.json inside the archive");
        if (maxLength < 8 || maxLength > 8192) throw new ModelLoadException("manifest maxLength must be 8..8192, got " + maxLength);
        if (task.equals("classify") && heads.isEmpty() && backbone.startsWith("builtin:"))
            throw new ModelLoadException("a classify archive on the built-in backbone needs at least one head");
        if (task.equals("pair") && heads.isEmpty() && backbone.startsWith("builtin:"))
            throw new ModelLoadException("a pair archive on the built-in backbone needs a pair head");
    }
}
