package ai.infer4j.engine.optimize;

import ai.infer4j.engine.error.ModelLoadException;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * ONNX Runtime offline graph optimization: opens a model once with an optimization level and saves
 * the optimized graph (constant folding, redundant node removal, and at {@code extended} the fused
 * transformer kernels: attention, LayerNorm, GELU, bias adds). {@code extended} keeps the file
 * portable across CPUs; {@code all} adds layout changes that are specific to this machine.
 */
public final class GraphOptimizer {
    /** Levels accepted on the command line and recorded in manifests. */
    public enum Level {
        BASIC(OptLevel.BASIC_OPT), EXTENDED(OptLevel.EXTENDED_OPT), ALL(OptLevel.ALL_OPT);

        final OptLevel ort;

        Level(OptLevel ort) {
            this.ort = ort;
        }

        public static Level parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("optimization level must be basic, extended or all, got '" + s + "'");
            }
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private GraphOptimizer() {
    }

    /** Optimizes {@code in} and writes the result to {@code out} (single-threaded, CPU provider). */
    public static void optimize(Path in, Path out, Level level) {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(level.ort);
            so.setIntraOpNumThreads(1);
            so.setOptimizedModelFilePath(out.toAbsolutePath().toString());
            try (OrtSession ignored = OrtEnvironment.getEnvironment().createSession(in.toString(), so)) {
                // the optimized model is written while the session is created
            }
        } catch (OrtException e) {
            throw new ModelLoadException("ONNX Runtime cannot optimize " + in + ": " + e.getMessage(), e);
        }
        if (!Files.isRegularFile(out)) throw new ModelLoadException("ONNX Runtime wrote no optimized model to " + out);
    }
}
