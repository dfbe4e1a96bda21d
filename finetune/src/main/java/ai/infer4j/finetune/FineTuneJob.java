package ai.infer4j.finetune;

import ai.djl.ndarray.NDManager;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.data.LabeledText;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.LexicalLayer;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.train.IntentTrainer;
import ai.infer4j.engine.train.LexicalTrainer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code infer4j finetune}: fine-tunes the top layers of a backbone with a classifier on an intent data set and writes
 * two things, the fine-tuned backbone as an export directory ({@link FineTunedExport}) and the classifier as an intent
 * head JSON on that backbone's pooled output. {@code archive --backbone DIR --head HEAD} makes them one archive.
 *
 * @param backbone  a built-in name or an export directory, as {@link BackboneFiles#resolve} reads it
 * @param trainFiles trained on, pooled in order (train + valid for a final fit after {@code --cv})
 * @param validFile scored after every epoch (not trained on); may be null
 * @param cv        the cross-validation summary kept in the head's metadata ({@link FineTuneCv.Summary#toJson}); may be null
 * @param lexical   a lexical layer trained on the same rows and added to the classifier's logits at its scale; null: none
 */
public record FineTuneJob(String backbone, List<Path> trainFiles, Path validFile, FineTuneOptions options, Path outDir, Path headFile,
                          String headName, Path cacheDir, ObjectNode cv, Lexical lexical) {
    /** A lexical layer on the {@code features} most class-dependent n-grams (0: all), its logits times {@code scale} (> 0). */
    public record Lexical(int features, double scale) {
        public Lexical {
            if (features < 0) throw new IllegalArgumentException("lexical features must be >= 0 (0: all), got " + features);
            if (!(scale > 0)) throw new IllegalArgumentException("lexical scale must be > 0, got " + scale);
        }
    }

    public FineTuneJob {
        Objects.requireNonNull(backbone, "backbone");
        trainFiles = List.copyOf(trainFiles);
        if (trainFiles.isEmpty()) throw new IllegalArgumentException("no training file");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(outDir, "outDir");
        Objects.requireNonNull(headFile, "headFile");
        Objects.requireNonNull(headName, "headName");
        Objects.requireNonNull(cacheDir, "cacheDir");
    }

    /** One training file, no cross-validation summary. */
    public FineTuneJob(String backbone, Path trainFile, Path validFile, FineTuneOptions options, Path outDir, Path headFile,
                       String headName, Path cacheDir) {
        this(backbone, List.of(trainFile), validFile, options, outDir, headFile, headName, cacheDir, null, null);
    }

    /** What a run scored: the valid accuracy after each epoch (empty without valid data) and the mean training loss. */
    public record Summary(List<Double> validAccuracy, List<Double> trainLoss, String modelSha256, SoftmaxHead head) { }

    public Summary run(Progress progress) {
        BackboneFiles files = BackboneFiles.resolve(backbone, cacheDir);
        List<Integer> trainRows = new ArrayList<>();
        List<LabeledText> train = FineTuneCv.pool(trainFiles, trainRows);
        List<LabeledText> valid = validFile == null ? List.of() : DataFiles.readLabeled(validFile);
        BertWeights weights = BertWeights.read(files.model());
        try (NDManager m = NDManager.newBaseManager()) {
            FineTuner.Result r = FineTuner.train(weights, files.tokenizer(), files.pooling(), train, valid, options, m, progress);
            FineTunedExport.write(weights, r.bert(), files.tokenizer(), files.pooling(), outDir);
            String sha = ModelArchive.sha256(outDir.resolve("model.onnx"));
            LexicalLayer words = lexical == null ? null
                    : FineTuneCv.lexical(train, r.labels(), options.seed(), lexical.features(), "lexical layer", progress).layer(lexical.scale());
            SoftmaxHead head = new SoftmaxHead(headName, r.labels(), r.classifier(), r.bias(), null, 0.0,
                    metadata(files, trainRows, valid.size(), r, sha, words), null, null, words);
            HeadFiles.write(head, headFile);
            return new Summary(r.validAccuracy(), r.trainLoss(), sha, head);
        }
    }

    private ObjectNode metadata(BackboneFiles files, List<Integer> trainRows, int validRows, FineTuner.Result r, String sha,
                                LexicalLayer words) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode m = json.createObjectNode();
        FineTuneOptions o = options;
        m.put("task", "intent");
        m.put("trainer", "fine-tuned: top " + o.layers() + " encoder layers + linear classifier on the L2-normalised pooled output "
                + "(scale " + o.scale() + "), AdamW, label smoothing, PyTorch on CPU");
        m.put("backbone", "finetuned:" + outDir.getFileName());
        m.put("baseBackbone", files.id().startsWith("builtin:") ? files.id() : Path.of(files.id()).getFileName().toString());
        m.put("modelSha256", sha);
        m.put("seed", o.seed());
        ObjectNode opts = m.putObject("finetune");
        opts.put("layers", o.layers());
        opts.put("epochs", o.epochs());
        opts.put("batchSize", o.batchSize());
        opts.put("learningRate", o.learningRate());
        opts.put("headLearningRate", o.headLearningRate());
        opts.put("weightDecay", o.weightDecay());
        opts.put("warmupFraction", o.warmupFraction());
        opts.put("dropout", o.dropout());
        opts.put("labelSmoothing", o.labelSmoothing());
        opts.put("maxLength", o.maxLength());
        ObjectNode data = m.putObject("data");
        if (trainFiles.size() == 1) {
            data.set("train", IntentTrainer.fileInfo(json, trainFiles.get(0), trainRows.get(0)));
        } else {
            ArrayNode t = data.putArray("train");
            for (int i = 0; i < trainFiles.size(); i++) t.add(IntentTrainer.fileInfo(json, trainFiles.get(i), trainRows.get(i)));
        }
        if (validFile != null) data.set("valid", IntentTrainer.fileInfo(json, validFile, validRows));
        ArrayNode acc = m.putArray("validAccuracyByEpoch");
        for (double a : r.validAccuracy()) acc.add(Math.round(a * 10000) / 10000.0);
        ArrayNode loss = m.putArray("trainLossByEpoch");
        for (double l : r.trainLoss()) loss.add(Math.round(l * 10000) / 10000.0);
        if (words != null) {
            ObjectNode l = m.putObject("lexical");
            l.put("features", LexicalLayer.FEATURES);
            l.put("maxFeatures", lexical.features()).put("featureSelection", "chi-squared of per-class document counts (0: all)");
            l.put("minDf", LexicalTrainer.MIN_DF).put("epochs", LexicalTrainer.EPOCHS).put("learningRate", LexicalTrainer.LEARNING_RATE)
                    .put("batch", LexicalTrainer.BATCH_SIZE).put("labelSmoothing", LexicalTrainer.LABEL_SMOOTHING);
            l.put("scale", lexical.scale()).put("vocab", words.vocab().size());
            l.put("rule", "logits = classifier logits + scale * lexical logits");
        }
        if (cv != null) m.set("cv", cv);
        return m;
    }
}
