package ai.infer4j.cli;

import ai.infer4j.engine.config.EngineOptions;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.finetune.FineTuneJob;
import ai.infer4j.finetune.FineTuneOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Fine-tunes the top layers of a backbone on intent data: writes the backbone as an export directory and a head on it. */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = {"Fine-tune the top encoder layers of a BERT backbone with a classifier (PyTorch on the CPU, offline).",
                "Writes --out DIR (model.onnx with the new weights, tokenizer.json, 1_Pooling/config.json: an export directory "
                        + "served by ONNX Runtime like any other) and --head HEAD (the classifier as an intent head on DIR).",
                "Then: infer4j archive --name NAME --backbone DIR --head HEAD --out NAME.mar"})
final class FinetuneCommand implements Callable<Integer> {
    @Option(names = "--backbone", description = "builtin (all-MiniLM-L6-v2), bge-small-en-v1.5, or an export directory of a BERT "
            + "model (default: ${DEFAULT-VALUE})", defaultValue = "bge-small-en-v1.5")
    String backbone;

    @Option(names = "--train", required = true, description = "JSON lines {\"text\", \"label\"} to train on")
    Path train;

    @Option(names = "--valid", description = "JSON lines scored after every epoch (not trained on)")
    Path valid;

    @Option(names = "--out", required = true, description = "directory to write the fine-tuned backbone to")
    Path out;

    @Option(names = "--head", required = true, description = "intent head JSON to write (the fine-tuned classifier)")
    Path head;

    @Option(names = "--name", description = "head name (default: ${DEFAULT-VALUE})", defaultValue = "intent")
    String name;

    @Option(names = "--layers", description = "top encoder layers to train (default: ${DEFAULT-VALUE})", defaultValue = "2")
    int layers;

    @Option(names = "--epochs", description = "passes over --train (default: ${DEFAULT-VALUE})", defaultValue = "5")
    int epochs;

    @Option(names = "--batch-size", description = "texts per step (default: ${DEFAULT-VALUE})", defaultValue = "32")
    int batchSize;

    @Option(names = "--lr", description = "peak AdamW step of the encoder layers (default: ${DEFAULT-VALUE})", defaultValue = "2e-4")
    double lr;

    @Option(names = "--head-lr", description = "peak AdamW step of the classifier (default: ${DEFAULT-VALUE})", defaultValue = "3e-3")
    double headLr;

    @Option(names = "--seed", description = "shuffles and dropout (default: ${DEFAULT-VALUE})", defaultValue = "42")
    long seed;

    @Option(names = "--max-length", description = "tokens per text incl. special tokens (default: ${DEFAULT-VALUE})", defaultValue = "128")
    int maxLength;

    @Option(names = "--threads", description = "PyTorch intra-op threads; the same count gives the same bytes (default: ${DEFAULT-VALUE})",
            defaultValue = "2")
    int threads;

    @Option(names = "--cache-dir", description = "where built-in backbones are extracted (default: ~/.cache/infer4j)")
    Path cacheDir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (threads < 1) throw new BadInputException("--threads must be >= 1, got " + threads);
        FineTuneOptions d = FineTuneOptions.defaults();
        FineTuneOptions o;
        try {
            o = new FineTuneOptions(layers, epochs, batchSize, lr, headLr, d.weightDecay(), d.warmupFraction(), d.dropout(),
                    d.labelSmoothing(), d.scale(), seed, maxLength, threads);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        // read by DJL's PyTorch engine when it starts (below, on first use)
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Path cache = cacheDir != null ? cacheDir : EngineOptions.defaults().cacheDir();
        long t0 = System.nanoTime();
        FineTuneJob.Summary s = new FineTuneJob(backbone, train, valid, o, out, head, name, cache).run(new ProgressBar(System.err));
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %s (fine-tuned backbone, model.onnx sha256 %s) and %s (%d labels) in %.1f s%n", out, s.modelSha256(), head,
                s.head().labels().size(), (System.nanoTime() - t0) / 1e9);
        List<Double> acc = s.validAccuracy();
        for (int e = 0; e < s.trainLoss().size(); e++)
            w.printf("epoch %d: train loss %.4f%s%n", e + 1, s.trainLoss().get(e), acc.isEmpty() ? "" : String.format("  valid accuracy %.4f", acc.get(e)));
        w.printf("next: infer4j archive --name %s --backbone %s --head %s --out %s.mar%n", name, out, head, name);
        w.flush();
        return 0;
    }
}
