package ai.infer4j.cli;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.task.Classifier;
import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.task.HeadFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Builds a model archive and checks that it loads. */
@Command(name = "archive", mixinStandardHelpOptions = true,
        description = {"Build a model archive (.mar zip, or a directory when --out has no .mar/.zip suffix).",
                "The archive is loaded once after writing, so a bad one is caught here, not at serving time."})
final class ArchiveCommand implements Callable<Integer> {
    @Option(names = "--name", required = true, description = "model name")
    String name;

    @Option(names = "--version", description = "model version (default: ${DEFAULT-VALUE})", defaultValue = "1")
    String version;

    @Option(names = "--backbone", description = "'builtin' (referenced, not copied) or an export directory with model.onnx + tokenizer.json (default: builtin)")
    String backbone = "builtin";

    @Option(names = "--head", description = "head JSON files; the first is the primary head")
    List<Path> heads = new ArrayList<>();

    @Option(names = "--task", description = "classify or embed (default: classify with heads or a logits model, else embed)")
    String task;

    @Option(names = "--batch-size", description = "batching hint stored in the manifest (default: ${DEFAULT-VALUE})", defaultValue = "32")
    int batchSize;

    @Option(names = "--max-batch-delay-ms", description = "batching hint stored in the manifest (default: ${DEFAULT-VALUE})", defaultValue = "2")
    int maxBatchDelayMs;

    @Option(names = "--out", required = true, description = "NAME.mar, or a directory")
    Path out;

    @Mixin
    EngineFlags engineFlags;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        boolean builtin = backbone.equals("builtin");
        Map<String, Path> headFiles = new LinkedHashMap<>();
        for (Path h : heads) headFiles.put("heads/" + HeadFiles.read(h).name() + ".json", h);
        String t = task != null ? task : !heads.isEmpty() || !builtin && hasLogits() ? "classify" : "embed";
        Manifest m = new Manifest(name, version, t, t, builtin ? BackboneFiles.BUILTIN : "model.onnx",
                new ArrayList<>(headFiles.keySet()), engineFlags.maxLength,
                Map.of("batchSize", batchSize, "maxBatchDelayMs", maxBatchDelayMs), Map.of());
        ModelArchive.write(m, builtin ? null : Path.of(backbone), headFiles, out);
        try (Engine engine = Engine.create(engineFlags.options())) {
            Model loaded = engine.load(out.toString());
            spec.commandLine().getOut().printf("wrote %s (%s, %d bytes)%n", out, loaded,
                    Files.isRegularFile(out) ? out.toFile().length() : 0);
        }
        return 0;
    }

    private boolean hasLogits() {
        try (Engine engine = Engine.create(engineFlags.options())) {
            return engine.load(backbone).task() instanceof Classifier;
        }
    }
}
