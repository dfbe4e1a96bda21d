package ai.infer4j.cli;

import ai.infer4j.engine.BadInputException;
import ai.infer4j.engine.Engine;
import ai.infer4j.engine.model.Backbone;
import ai.infer4j.engine.model.BackboneFiles;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.train.EmbeddingCache;
import ai.infer4j.engine.train.IntentTrainer;
import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Trains a head on the frozen backbone with a deterministic grid search. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a task head on the frozen backbone's pooled embeddings (deterministic grid search).")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--task", required = true, description = "intent (pair comes with the pair-model issue)")
    String task;

    @Option(names = "--train", required = true, description = "JSON lines {\"text\", \"label\"} used for fitting")
    Path train;

    @Option(names = "--valid", required = true, description = "JSON lines used to select the grid point and threshold")
    Path valid;

    @Option(names = "--out", required = true, description = "head JSON to write")
    Path out;

    @Option(names = "--seed", description = "shuffling seed (default: ${DEFAULT-VALUE})", defaultValue = "42")
    long seed;

    @Option(names = "--name", description = "head name (default: the task name)")
    String name;

    @Option(names = "--oos-label", description = "out-of-scope label (default: ${DEFAULT-VALUE})", defaultValue = "oos")
    String oosLabel;

    @Option(names = "--backbone", description = "backbone: builtin or an export directory (default: builtin)")
    String backbone = "builtin";

    @Option(names = "--grid-threads", description = "grid points trained in parallel (default: all cores)")
    Integer gridThreads;

    @Mixin
    EngineFlags engineFlags;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!task.equals("intent")) throw new BadInputException("--task must be 'intent' (pair heads are not in this version), got '" + task + "'");
        var options = engineFlags.options();
        try (Engine engine = Engine.create(options)) {
            Backbone bb = engine.backbone(backbone.equals("builtin") ? BackboneFiles.builtin(options.cacheDir())
                    : BackboneFiles.ofDirectory(Path.of(backbone)));
            int threads = gridThreads != null ? gridThreads : Runtime.getRuntime().availableProcessors();
            var job = new IntentTrainer.Job(name != null ? name : task, train, valid, oosLabel, seed,
                    IntentTrainer.Grid.defaults(), threads);
            SoftmaxHead head = IntentTrainer.train(job, bb, new EmbeddingCache(options.cacheDir().resolve("embeddings")),
                    new ProgressBar(System.err));
            HeadFiles.write(head, out);
            PrintWriter w = spec.commandLine().getOut();
            JsonNode sel = head.training().get("selected");
            JsonNode v = head.training().get("valid");
            w.printf("wrote %s: %d labels, selected lr=%s l2=%s epochs=%s oosThreshold=%s%n", out, head.labels().size(),
                    sel.get("learningRate"), sel.get("l2"), sel.get("epochs"), sel.get("oosThreshold"));
            w.printf("valid: accuracy %s  in-scope accuracy %s  oos recall %s  macro-F1 %s%n", v.path("accuracy"),
                    v.path("in_scope_accuracy"), v.path("oos_recall"), v.path("macro_f1"));
            w.flush();
        }
        return 0;
    }
}
