package ai.infer4j.cli;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.task.Classifier;
import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.task.Head;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.PairHead;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
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

    @Option(names = "--backbone", description = "'builtin' or 'bge-small-en-v1.5' (built-in backbones: referenced, not copied) or an "
            + "export directory with model.onnx + tokenizer.json (default: builtin)")
    String backbone = "builtin";

    @Option(names = "--head", description = "head JSON files, or builtin:NAME (e.g. builtin:duplicate); the first is the primary head")
    List<String> heads = new ArrayList<>();

    @Option(names = "--task", description = "classify, embed or pair (default: pair with a pair head, classify with heads or a logits model, else embed)")
    String task;

    @Option(names = "--handler", description = "custom handler installed in plugins_dir that the model runs through (default: none)")
    String handler;

    @Option(names = "--handler-option", description = "KEY=VALUE stored in the manifest's handlerOptions for the handler (repeatable)")
    Map<String, String> handlerOptions = new LinkedHashMap<>();

    @Option(names = "--batch-size", description = "batching hint stored in the manifest (default: ${DEFAULT-VALUE})", defaultValue = "32")
    int batchSize;

    @Option(names = "--max-batch-delay-ms", description = "batching hint stored in the manifest (default: ${DEFAULT-VALUE})", defaultValue = "0")
    int maxBatchDelayMs;

    @Option(names = "--out", required = true, description = "NAME.mar, or a directory")
    Path out;

    @Mixin
    EngineFlags engineFlags;

    @Mixin
    HandlerFlags handlerFlags;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        boolean builtin = BackboneFiles.isBuiltin(backbone) && !Files.isDirectory(Path.of(backbone));
        String builtinName = !builtin ? null : backbone.equals("builtin") ? BackboneFiles.BUILTIN
                : backbone.startsWith("builtin:") ? backbone : "builtin:" + backbone;
        Map<String, Path> headFiles = new LinkedHashMap<>();
        boolean pairHead = false;
        for (String ref : heads) {
            Path h = headFile(ref);
            Head head = HeadFiles.readHead(h);
            if (headFiles.isEmpty()) pairHead = head instanceof PairHead;
            headFiles.put("heads/" + head.name() + ".json", h);
        }
        String t = task != null ? task : pairHead ? "pair" : !heads.isEmpty() || !builtin && hasLogits() ? "classify" : "embed";
        Map<String, com.fasterxml.jackson.databind.JsonNode> extra = handlerOptions.isEmpty() ? Map.of()
                : Map.of("handlerOptions", new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(handlerOptions));
        Manifest m = new Manifest(name, version, t, handler != null ? handler : t, builtin ? builtinName : "model.onnx",
                new ArrayList<>(headFiles.keySet()), engineFlags.maxLength,
                Map.of("batchSize", batchSize, "maxBatchDelayMs", maxBatchDelayMs), extra);
        ModelArchive.write(m, builtin ? null : Path.of(backbone), headFiles, out);
        try (var handlers = handlerFlags.load(); Engine engine = Engine.create(engineFlags.options(), handlers)) {
            Model loaded = engine.load(out.toString());
            spec.commandLine().getOut().printf("wrote %s (%s, %d bytes)%n", out, loaded,
                    Files.isRegularFile(out) ? out.toFile().length() : 0);
        }
        return 0;
    }

    /** A head file, or a built-in head ({@code builtin:NAME}) written to a temporary file. */
    private static Path headFile(String ref) throws IOException {
        if (!ref.startsWith("builtin:")) return Path.of(ref);
        String name = ref.substring("builtin:".length());
        Path tmp = Files.createTempDirectory("infer4j-head").resolve(name + ".json");
        tmp.toFile().deleteOnExit();
        tmp.getParent().toFile().deleteOnExit();
        try {
            HeadFiles.write(Engine.builtinPairHead(name), tmp);
        } catch (ModelLoadException notPair) {
            HeadFiles.write(Engine.builtinHead(name), tmp);
        }
        return tmp;
    }

    private boolean hasLogits() {
        try (Engine engine = Engine.create(engineFlags.options())) {
            return engine.load(backbone).task() instanceof Classifier;
        }
    }
}
