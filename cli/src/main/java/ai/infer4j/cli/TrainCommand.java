package ai.infer4j.cli;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.Engine;
import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.PairHead;
import ai.infer4j.engine.task.RecordFormat;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.task.TokenIdf;
import ai.infer4j.engine.train.EmbeddingCache;
import ai.infer4j.engine.train.IntentTrainer;
import ai.infer4j.engine.train.MlpTrainer;
import ai.infer4j.engine.train.PairTrainer;
import ai.infer4j.engine.train.TreeBooster;
import ai.infer4j.finetune.FineTuneOptions;
import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Trains a head on the frozen backbone with a deterministic grid search. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a task head on the frozen backbone's pooled embeddings (deterministic grid search).")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--task", required = true, description = "intent or pair")
    String task;

    @Option(names = "--train", required = true, split = ",",
            description = "JSON lines used for fitting: intent {\"text\", \"label\"}; pair {\"left\", \"right\", \"label\": 0|1} "
                    + "(pair: several files, comma-separated, are combined)")
    List<Path> train;

    @Option(names = "--valid", split = ",",
            description = "JSON lines used to select the grid point and threshold (pair: several files are combined); "
                    + "required except with --adapt-idf")
    List<Path> valid;

    @Option(names = "--adapt-idf", description = "pair: instead of training, write this pair head (a file or 'duplicate') with "
            + "its token IDF counted over the records of the --train files (a new catalogue's records; labels are not read)")
    String adaptIdf;

    @Option(names = "--fields", split = ",", description = "pair: record fields written into the text, in order "
            + "(default: title,brand,manufacturer,modelno,category,price)")
    List<String> fields;

    @Option(names = "--max-tokens-per-side", description = "pair: tokens per record incl. special tokens (default: ${DEFAULT-VALUE})",
            defaultValue = "64")
    int maxTokensPerSide;

    @Option(names = "--out", required = true, description = "head JSON to write")
    Path out;

    @Option(names = "--seed", description = "shuffling seed (default: ${DEFAULT-VALUE})", defaultValue = "42")
    long seed;

    @Option(names = "--name", description = "head name (default: the task name)")
    String name;

    @Option(names = "--oos-label", description = "out-of-scope label (default: ${DEFAULT-VALUE})", defaultValue = "oos")
    String oosLabel;

    @Option(names = "--backbone", description = "backbone: builtin (all-MiniLM-L6-v2), bge-small-en-v1.5 (built in, stronger, "
            + "about 2x the encoder cost), or an export directory with model.onnx + tokenizer.json (default: builtin)")
    String backbone = "builtin";

    @Option(names = "--cv", description = "intent: k-fold selection on train+valid pooled (K >= 2), then a final fit on all rows; "
            + "0 selects on --valid (default: ${DEFAULT-VALUE})", defaultValue = "0")
    int cv;

    @Option(names = "--oos-budget", description = "intent with --cv: held-out in-scope accuracy the out-of-scope rule may cost "
            + "(default: ${DEFAULT-VALUE})", defaultValue = "0.005")
    double oosBudget;

    @Option(names = "--head", description = "intent: linear (softmax regression) or mlp (one hidden layer; needs --cv) "
            + "(default: ${DEFAULT-VALUE})", defaultValue = "linear")
    String head;

    @Option(names = "--mlp-hidden", description = "intent with --head mlp: hidden units per network (default: 512)")
    Integer mlpHidden;

    @Option(names = "--mlp-members", description = "intent with --head mlp: networks averaged, one seed each (default: 3)")
    Integer mlpMembers;

    @Option(names = "--mlp-epochs", split = ",", description = "intent with --head mlp: epoch counts compared by --cv (default: 20,40)")
    List<Integer> mlpEpochs;

    @Mixin
    LexicalFlags lexicalFlags;

    @Option(names = "--trees", description = "pair: add gradient-boosted trees on the similarity and IDF-weighted overlap features")
    boolean trees;

    @Option(names = "--trees-linear", description = "pair with --trees: the trees also read the linear part's log-odds "
            + "(better on the training catalogues, worse on new ones)")
    boolean treesLinear;

    @Option(names = "--candidates", description = "pair: trees on the IDF-weighted overlaps and candidate features (a pair's "
            + "similarity against the other pairs of its records scored with it: gap to the best, rank, mutual best); made to "
            + "travel to a catalogue it never saw; scores a file, a batch chunk or a request as one candidate set")
    boolean candidates;

    @Option(names = "--conflicts", description = "pair with --candidates: the trees also read code_conflict and number_conflict "
            + "(both records carry model codes / numbers and share none), negative evidence that travels between catalogues")
    boolean conflicts;

    @Option(names = "--idf-per-set", description = "pair with --candidates: count the IDF features of each training candidate set "
            + "(and of the valid file) over that set's own records, as a portable branch counts them over the call it scores")
    boolean idfPerSet;

    @Option(names = "--blend-idf", description = "pair with trees: the probability is (1 - W) x trees + W x record_idf_cosine "
            + "(an untrained 0..1 similarity), threshold chosen on that; with --candidates and W = 0.5 the recipe for a catalogue "
            + "the model never saw (default: 0, the trees alone)", defaultValue = "0")
    double blendIdf;

    @Option(names = "--portable", description = "pair: attach this pair head (a file trained with --candidates --blend-idf) as the "
            + "branch for records the new head's IDF table does not know: a call (file, batch chunk, request) whose records' "
            + "familiarity is below --min-familiarity is scored by it, with its IDF counted over those records")
    Path portable;

    @Option(names = "--min-familiarity", description = "pair with --portable: IDF-weighted share of the scored records' tokens the "
            + "table must know for the trained head to score them (default: ${DEFAULT-VALUE})", defaultValue = "0.75")
    double minFamiliarity;

    @Option(names = "--learning-rates", split = ",", description = "intent, linear head: learning rates of the grid (default: 3e-4,1e-3)")
    List<Double> learningRates;

    @Option(names = "--l2s", split = ",", description = "intent, linear head: L2 penalties of the grid (default: 1e-3,1e-2,3e-2)")
    List<Double> l2s;

    @Option(names = "--epochs", split = ",", description = "intent, linear head: epoch counts of the grid (default: 5,10,20)")
    List<Integer> epochs;

    @Option(names = "--fine-tune-layers", description = "intent: instead of a head on the frozen backbone, fine-tune the backbone's "
            + "top K encoder layers with a linear classifier (as finetune does, its default recipe; --epochs one value, default 5) "
            + "and write the backbone to --fine-tune-out; with --cv the folds of train+valid (--fold, --cv-dir) and a final fit on all rows")
    Integer fineTuneLayers;

    @Option(names = "--fine-tune-lr", description = "with --fine-tune-layers: peak AdamW steps of the encoder layers and of the "
            + "classifier, ENCODER,HEAD (default: finetune's, 2e-4,3e-3)", split = ",")
    List<Double> fineTuneLr;

    @Option(names = "--fine-tune-out", description = "with --fine-tune-layers: directory to write the fine-tuned backbone to")
    Path fineTuneOut;

    @Option(names = "--fold", description = "with --fine-tune-layers and --cv: run only this fold (1..K), write its result to --cv-dir")
    Integer fold;

    @Option(names = "--cv-dir", description = "with --cv: with --fine-tune-layers, directory of the per-fold result files; for a "
            + "head on the frozen backbone, where cv-logits.json gets every row's held-out logits per grid point (and the "
            + "lexical layer's), for analysis such as ensembles")
    Path cvDir;

    @Option(names = "--grid-threads", description = "grid points trained in parallel (default: all cores)")
    Integer gridThreads;

    @Mixin
    EngineFlags engineFlags;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!task.equals("intent") && !task.equals("pair")) throw new BadInputException("--task must be 'intent' or 'pair', got '" + task + "'");
        if (task.equals("pair") && lexicalFlags.lexical) throw new BadInputException("--lexical is for --task intent");
        if (task.equals("pair") && adaptIdf != null) return adaptIdf();
        if (valid == null || valid.isEmpty()) throw new BadInputException("--valid is required");
        if (task.equals("pair")) return trainPair();
        if (train.size() != 1 || valid.size() != 1) throw new BadInputException("--task intent takes one --train and one --valid file");
        if (fineTuneLayers != null) return fineTune();
        if (fineTuneOut != null || fold != null || fineTuneLr != null)
            throw new BadInputException("--fine-tune-out, --fine-tune-lr and --fold need --fine-tune-layers");
        var options = engineFlags.options();
        try (Engine engine = Engine.create(options)) {
            Backbone bb = engine.backbone(BackboneFiles.resolve(backbone, options.cacheDir()));
            int threads = gridThreads != null ? gridThreads : Runtime.getRuntime().availableProcessors();
            var job = new IntentTrainer.Job(name != null ? name : task, train.get(0), valid.get(0), oosLabel, seed,
                    linearGrid(), threads, cv, oosBudget, mlpGrid(), lexicalFlags.lexical, lexicalFlags.features, cvDir);
            SoftmaxHead head = IntentTrainer.train(job, bb, new EmbeddingCache(options.cacheDir().resolve("embeddings")),
                    new ProgressBar(System.err));
            HeadFiles.write(head, out);
            PrintWriter w = spec.commandLine().getOut();
            if (cv >= 2) {
                printCv(w, head);
                return 0;
            }
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

    /**
     * {@code --fine-tune-layers K}: the {@code finetune} command's recipe (its defaults; top K layers, --epochs, --seed for
     * the shuffles and the folds as {@code train --cv}), written as a backbone directory and a head on it.
     */
    private int fineTune() {
        if (!head.equals("linear") || mlpHidden != null || mlpMembers != null || mlpEpochs != null || learningRates != null || l2s != null)
            throw new BadInputException("--fine-tune-layers trains its own linear classifier: drop --head, --mlp-*, --learning-rates, --l2s");
        if (epochs != null && epochs.size() != 1) throw new BadInputException("--fine-tune-layers takes one --epochs value, got " + epochs);
        Integer lexicalFeatures = lexicalFlags.featuresOrNull();
        boolean onlyFold = cv >= 2 && fold != null;
        if (!onlyFold && fineTuneOut == null) throw new BadInputException("--fine-tune-layers needs --fine-tune-out DIR for the fine-tuned backbone");
        FineTuneOptions d = FineTuneOptions.defaults();
        FineTuneOptions o;
        try {
            if (fineTuneLr != null && fineTuneLr.size() != 2)
                throw new BadInputException("--fine-tune-lr takes two values, ENCODER,HEAD, got " + fineTuneLr);
            o = d.withLayers(fineTuneLayers).withEpochs(epochs != null ? epochs.get(0) : d.epochs()).withSeed(seed);
            if (fineTuneLr != null) o = o.withLearningRates(fineTuneLr.get(0), fineTuneLr.get(1));
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        var options = engineFlags.options();
        return new FineTuneRunner(backbone, train, valid.get(0), o, onlyFold ? null : fineTuneOut, onlyFold ? null : out,
                name != null ? name : task, options.cacheDir(), cv, fold, cvDir, seed, lexicalFeatures)
                .run(spec.commandLine().getOut());
    }

    /** The linear head's grid: the defaults with the --learning-rates / --l2s / --epochs overrides. */
    private IntentTrainer.Grid linearGrid() {
        IntentTrainer.Grid d = IntentTrainer.Grid.defaults();
        if (learningRates == null && l2s == null && epochs == null) return d;
        if (!head.equals("linear")) throw new BadInputException("--learning-rates, --l2s and --epochs are for the linear head (use --mlp-epochs)");
        if (learningRates != null && learningRates.stream().anyMatch(v -> !(v > 0)))
            throw new BadInputException("--learning-rates must be > 0, got " + learningRates);
        if (l2s != null && l2s.stream().anyMatch(v -> !(v >= 0))) throw new BadInputException("--l2s must be >= 0, got " + l2s);
        if (epochs != null && epochs.stream().anyMatch(v -> v < 1)) throw new BadInputException("--epochs must be >= 1, got " + epochs);
        return new IntentTrainer.Grid(learningRates != null ? learningRates.stream().mapToDouble(Double::doubleValue).toArray() : d.learningRates(),
                l2s != null ? l2s.stream().mapToDouble(Double::doubleValue).toArray() : d.l2s(),
                epochs != null ? epochs.stream().mapToInt(Integer::intValue).sorted().toArray() : d.epochs(), d.oosThresholds());
    }

    /** The MLP grid of {@code --head mlp} (defaults, with the --mlp-* overrides), or null for a linear head. */
    private IntentTrainer.MlpGrid mlpGrid() {
        if (head.equals("linear")) {
            if (mlpHidden != null || mlpMembers != null || mlpEpochs != null) throw new BadInputException("--mlp-* options need --head mlp");
            return null;
        }
        if (!head.equals("mlp")) throw new BadInputException("--head must be 'linear' or 'mlp', got '" + head + "'");
        IntentTrainer.MlpGrid d = IntentTrainer.MlpGrid.defaults();
        List<MlpTrainer.Params> recipes = new ArrayList<>();
        for (MlpTrainer.Params p : d.recipes())
            recipes.add(new MlpTrainer.Params(mlpHidden != null ? mlpHidden : p.hidden(), p.activation(), p.learningRate(), p.weightDecay(),
                    p.dropout(), p.labelSmoothing(), mlpMembers != null ? mlpMembers : p.members()));
        int[] epochs = mlpEpochs != null ? mlpEpochs.stream().mapToInt(Integer::intValue).toArray() : d.epochs();
        return new IntentTrainer.MlpGrid(recipes, epochs);
    }

    private void printCv(PrintWriter w, SoftmaxHead head) {
        JsonNode cvNode = head.training().get("cv");
        JsonNode sel = cvNode.get("selected");
        if (head.hidden() == null)
            w.printf("wrote %s: %d labels, %d-fold selection on %d rows: lr=%s l2=%s epochs=%s%n", out, head.labels().size(),
                    cvNode.get("folds").asInt(), cvNode.get("rows").asInt(), sel.get("learningRate"), sel.get("l2"), sel.get("epochs"));
        else
            w.printf("wrote %s: %d labels, mlp %s %s x %d units, %d-fold selection on %d rows: lr=%s weightDecay=%s dropout=%s "
                            + "labelSmoothing=%s epochs=%s%n", out, head.labels().size(), sel.get("members"), head.hidden().activation(),
                    sel.get("hidden").asInt(), cvNode.get("folds").asInt(), cvNode.get("rows").asInt(), sel.get("learningRate"),
                    sel.get("weightDecay"), sel.get("dropout"), sel.get("labelSmoothing"), sel.get("epochs"));
        if (cvNode.get("results").size() > 1) {
            w.println("grid (held-out accuracy mean +- std over folds):");
            for (JsonNode r : cvNode.get("results")) {
                StringBuilder recipe = new StringBuilder();
                r.fields().forEachRemaining(e -> {
                    if (!e.getKey().startsWith("accuracy")) recipe.append(' ').append(e.getKey()).append('=').append(e.getValue().asText());
                });
                w.printf("  %.4f +- %.4f %s%n", r.get("accuracy_mean").asDouble(), r.get("accuracy_std").asDouble(), recipe);
            }
        }
        if (sel.has("lexicalScale"))
            w.printf("lexical layer: scale %s%s%n", sel.get("lexicalScale"),
                    head.lexical() != null ? ", " + head.lexical().vocab().size() + " features" : " (left out)");
        w.printf("held-out accuracy (argmax) %.4f +- %.4f (std over folds), per fold %s%n", sel.get("accuracy_mean").asDouble(),
                sel.get("accuracy_std").asDouble(), sel.get("accuracy_per_fold"));
        JsonNode oos = cvNode.get("oos");
        if (oos != null) {
            JsonNode at = oos.get("at_threshold");
            w.printf("out-of-scope score %s, threshold %s (budget %s): held-out in-scope accuracy %s (without rejection %s), "
                            + "oos recall %s, oos precision %s%n", "energy+centroid", oos.get("threshold"), oos.get("budget"),
                    at.get("in_scope_accuracy"), oos.get("in_scope_accuracy_without_rejection"), at.get("oos_recall"), at.get("oos_precision"));
            StringBuilder folds = new StringBuilder();
            for (JsonNode f : oos.get("per_fold"))
                folds.append(String.format(" %s/%s", f.get("in_scope_accuracy").asText(), f.get("oos_recall").asText()));
            w.printf("per fold (in-scope accuracy/oos recall):%s%n", folds);
            w.println("trade-off (in-scope rejected -> in-scope accuracy, oos recall, oos precision):");
            for (JsonNode p : oos.get("curve"))
                w.printf("  %6.2f%%  threshold %8.4f  %.4f  %.4f  %.4f%n", 100 * p.get("in_scope_rejected").asDouble(),
                        p.get("threshold").asDouble(), p.get("in_scope_accuracy").asDouble(), p.get("oos_recall").asDouble(),
                        p.get("oos_precision").asDouble());
        }
        w.flush();
    }

    private int adaptIdf() {
        PairHead head = adaptIdf.equals("duplicate") ? Engine.builtinPairHead("duplicate")
                : HeadFiles.readHead(Path.of(adaptIdf)) instanceof PairHead p ? p : null;
        if (head == null) throw new BadInputException("--adapt-idf " + adaptIdf + " is not a pair head");
        if (head.idf() == null) throw new BadInputException("--adapt-idf: head " + adaptIdf + " has no IDF features (train it with --trees)");
        if (head.portable() != null)
            throw new BadInputException("--adapt-idf: head " + adaptIdf + " adapts by itself (its portable branch counts the IDF over the"
                    + " records it scores when they are unfamiliar); score the new catalogue's pairs with it as it is");
        List<Map<String, String>> records = new ArrayList<>();
        for (Path f : train) records.addAll(DataFiles.readRecords(f));
        TokenIdf idf = TokenIdf.of(records);
        HeadFiles.write(head.withIdf(idf), out);
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %s: head %s with the IDF of %d distinct records (%d tokens) from %s%n", out, head.name(), idf.records(),
                idf.counts().size(), train);
        w.flush();
        return 0;
    }

    private static List<Map<String, String>> records(Path pairs) {
        List<Map<String, String>> records = new ArrayList<>();
        for (var r : DataFiles.readPairs(pairs)) {
            records.add(r.pair().left());
            records.add(r.pair().right());
        }
        return records;
    }

    private int trainPair() {
        var options = engineFlags.options();
        RecordFormat format = fields == null ? new RecordFormat(RecordFormat.products().fields(), maxTokensPerSide)
                : new RecordFormat(fields, maxTokensPerSide);
        try (Engine engine = Engine.create(options)) {
            Backbone bb = engine.backbone(BackboneFiles.resolve(backbone, options.cacheDir()));
            int threads = gridThreads != null ? gridThreads : Runtime.getRuntime().availableProcessors();
            PairHead branch = portable == null ? null : HeadFiles.readHead(portable) instanceof PairHead p ? p : null;
            if (portable != null && (branch == null || branch.idf() == null || branch.portable() != null))
                throw new BadInputException("--portable " + portable + " must be a pair head with IDF features and no portable head of its own"
                        + " (train it with --candidates --blend-idf 0.5)");
            if (portable != null && !(trees || treesLinear || candidates))
                throw new BadInputException("--portable needs a head with an IDF table to measure familiarity against: add --trees-linear");
            if ((conflicts || idfPerSet) && !candidates)
                throw new BadInputException("--conflicts and --idf-per-set change candidate-feature trees: add --candidates");
            if (candidates && treesLinear) throw new BadInputException("--candidates trees do not read the linear log-odds: drop --trees-linear");
            var job = candidates
                    ? new PairTrainer.Job(name != null ? name : "duplicate", train, valid, format, seed, PairTrainer.CANDIDATE_GRID, threads,
                            PairTrainer.CANDIDATE_TREES, false, true, blendIdf, conflicts, idfPerSet)
                    : new PairTrainer.Job(name != null ? name : "duplicate", train, valid, format, seed, PairTrainer.Grid.defaults(), threads,
                            trees || treesLinear ? TreeBooster.Params.defaults() : null, treesLinear, false, blendIdf);
            PairHead head = PairTrainer.train(job, bb, new EmbeddingCache(options.cacheDir().resolve("embeddings")),
                    new ProgressBar(System.err));
            if (branch != null) head = head.withPortable(branch, minFamiliarity);
            HeadFiles.write(head, out);
            PrintWriter w = spec.commandLine().getOut();
            if (branch != null)
                for (Path f : valid) {
                    double fam = PairHead.familiarity(records(f), head.idf());
                    w.printf("portable branch %s: %s familiarity %.3f (min %.2f): %s%n", portable, f, fam, minFamiliarity,
                            fam >= minFamiliarity ? "scored by the trained head" : "scored by the portable head");
                }
            JsonNode sel = head.training().get("selected");
            JsonNode v = head.training().get("valid");
            w.printf("wrote %s: pair head on %s, selected lr=%s l2=%s epochs=%s threshold=%s%n", out, format.fields(),
                    sel.get("learningRate"), sel.get("l2"), sel.get("epochs"), sel.get("threshold"));
            w.printf("valid: F1 %s  precision %s  recall %s  average precision %s%n", v.path("f1"), v.path("precision"),
                    v.path("recall"), v.path("average_precision"));
            w.flush();
        }
        return 0;
    }
}
