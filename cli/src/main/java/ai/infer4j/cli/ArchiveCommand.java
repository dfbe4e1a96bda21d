package ai.infer4j.cli;

import ai.infer4j.engine.Engine;
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
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

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
        Path target = out.toAbsolutePath().normalize();
        if (Files.isDirectory(target) && !ModelArchive.isArchive(target) && !isEmptyDirectory(target))
            throw new ParameterException(spec.commandLine(), "--out " + out + " is a directory that holds other files, not an "
                    + "archive: give a new directory, an archive directory to replace, or NAME.mar");
        // written and checked beside the target, moved into place only once it loads: a failed build leaves no bad
        // archive behind, and an archive already at --out stays as it was
        Path staged = beside(target, ".check-" + ProcessHandle.current().pid());
        try {
            ModelArchive.write(m, builtin ? null : Path.of(backbone), headFiles, staged);
            String loaded;
            try (var handlers = handlerFlags.load(); Engine engine = Engine.create(engineFlags.options(), handlers)) {
                loaded = engine.load(staged.toString()).toString();
            }
            replace(staged, target);
            spec.commandLine().getOut().printf("wrote %s (%s, %d bytes)%n", out, loaded,
                    Files.isRegularFile(target) ? Files.size(target) : 0);
        } finally {
            deleteTree(staged);
        }
        return 0;
    }

    /**
     * A hidden sibling of {@code target} named with {@code tag}, keeping its {@code .mar}/{@code .zip} suffix (the
     * suffix is what makes a file an archive).
     */
    static Path beside(Path target, String tag) {
        String name = target.getFileName().toString();
        int dot = name.endsWith(".mar") || name.endsWith(".zip") ? name.length() - 4 : name.length();
        return target.resolveSibling("." + name.substring(0, dot) + tag + name.substring(dot));
    }

    /**
     * Moves the checked archive over the target. A file is renamed over the old one atomically; a directory cannot
     * be, so the old directory is renamed aside first, the new one into place, and only then the old one deleted.
     */
    private static void replace(Path staged, Path target) throws IOException {
        if (Files.isRegularFile(staged)) {
            if (Files.isDirectory(target)) throw new IOException("cannot write " + target + ": it is a directory");
            Files.move(staged, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        if (!Files.exists(target)) {
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        if (!Files.isDirectory(target)) throw new IOException("cannot write the archive directory " + target + ": a file is there");
        Path old = beside(target, ".old-" + ProcessHandle.current().pid());
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        try {
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.move(old, target, StandardCopyOption.ATOMIC_MOVE); // put the old archive back
            throw e;
        }
        deleteTree(old);
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
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
