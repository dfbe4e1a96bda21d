package ai.infer4j.cli;

import ai.infer4j.engine.config.EngineOptions;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.finetune.FineTuneJob;
import ai.infer4j.finetune.FineTuneOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
                "Then: infer4j archive --name NAME --backbone DIR --head HEAD --out NAME.mar",
                "--cv K --cv-dir D: K-fold cross-validation on --train and --valid pooled (the folds of train --cv); --fold F runs "
                        + "one fold and writes D/fold-F-of-K.json; without --fold the missing folds run, the per-epoch held-out "
                        + "accuracy is reported (mean +- std over folds) and, with --out and --head, the recipe is trained on all rows."})
final class FinetuneCommand implements Callable<Integer> {
    @Option(names = "--backbone", description = "builtin (all-MiniLM-L6-v2), bge-small-en-v1.5, or an export directory of a BERT "
            + "model (default: ${DEFAULT-VALUE})", defaultValue = "bge-small-en-v1.5")
    String backbone;

    @Option(names = "--train", required = true, split = ",", description = "JSON lines {\"text\", \"label\"} to train on "
            + "(several files, comma-separated, are pooled: train,valid for a final fit on both)")
    List<Path> train;

    @Option(names = "--valid", description = "JSON lines scored after every epoch (not trained on)")
    Path valid;

    @Option(names = "--out", description = "directory to write the fine-tuned backbone to")
    Path out;

    @Option(names = "--head", description = "intent head JSON to write (the fine-tuned classifier)")
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

    @Option(names = "--cv", description = "K-fold cross-validation on --train and --valid pooled (K >= 2; 0: one fit) "
            + "(default: ${DEFAULT-VALUE})", defaultValue = "0")
    int cv;

    @Option(names = "--fold", description = "with --cv: run only this fold (1..K) and write its result to --cv-dir")
    Integer fold;

    @Option(names = "--cv-dir", description = "with --cv: directory of the per-fold result files (fold-F-of-K.json)")
    Path cvDir;

    @Option(names = "--cv-seed", description = "with --cv: seed of the fold split (default: ${DEFAULT-VALUE}, as train --cv)",
            defaultValue = "42")
    long cvSeed;

    @Mixin
    LexicalFlags lexical;

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
        Path cache = cacheDir != null ? cacheDir : EngineOptions.defaults().cacheDir();
        return new FineTuneRunner(backbone, train, valid, o, out, head, name, cache, cv, fold, cvDir, cvSeed, lexical.featuresOrNull())
                .run(spec.commandLine().getOut());
    }
}
