package ai.infer4j.monitor;

import ai.infer4j.engine.Model;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.io.AtomicFiles;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.data.LabeledText;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.monitor.baseline.Constraints;
import ai.infer4j.monitor.baseline.CrossFit;
import com.fasterxml.jackson.databind.JsonNode;
import ai.infer4j.monitor.baseline.Observer;
import ai.infer4j.monitor.baseline.BaselineStatistics;
import ai.infer4j.monitor.capture.CaptureConfig;
import ai.infer4j.monitor.capture.CaptureReader;
import ai.infer4j.monitor.capture.EmbeddingSketch;
import ai.infer4j.monitor.capture.Observation;
import ai.infer4j.monitor.drift.CheckResult;
import ai.infer4j.monitor.drift.DriftCheck;
import ai.infer4j.monitor.drift.SignalResult;
import ai.infer4j.monitor.report.HtmlReport;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * infer4j's monitoring: baselines from labelled data, checks of captured traffic against them (with
 * {@code violations.json} and an HTML report), and the live capture + drift scores a server runs.
 *
 * <pre>
 * BaselineStatistics s = Monitor.baseline(model, Path.of("valid.jsonl"), DataFiles.readLabeled(Path.of("valid.jsonl")), 16, 2, progress);
 * Monitor.writeBaseline(s, Constraints.defaults(), Path.of("baseline"));
 * CheckResult r = Monitor.check(Path.of("baseline"), Path.of("capture/intent/1"), null, null, null, Path.of("out"));
 * </pre>
 */
public final class Monitor {
    public static final String STATISTICS = "statistics.json";
    public static final String CONSTRAINTS = "constraints.json";
    public static final String VIOLATIONS = "violations.json";
    public static final String REPORT = "report.html";

    static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT).disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Monitor() {
    }

    /** Starts the capture writer and live drift scores of a server. */
    public static LiveMonitor startLive(CaptureConfig config, Clock clock) {
        return new LiveMonitor(config, clock);
    }

    /** Rows folded for a cross-fitted baseline. */
    public static final int FOLDS = 5;

    /**
     * Baseline statistics of {@code model} on labelled rows, with no knowledge of where they came from
     * (provenance {@code unknown}): the model's own predictions.
     */
    public static BaselineStatistics baseline(Model model, List<LabeledText> rows, String source, int sketchDim, Progress progress) {
        List<Observation> obs = Observer.observe(model, rows.stream().map(LabeledText::text).toList(),
                rows.stream().map(LabeledText::label).toList(), sketchDim, progress);
        return BaselineStatistics.of(model.name(), model.version(), source, model.labels(), obs, sketchDim, EmbeddingSketch.SEED, 42)
                .withOutOfScopeLabel(outOfScopeLabel(model))
                .withProvenance(BaselineStatistics.UNKNOWN, "where these rows come from is not known: if the model was trained on them, "
                        + "its confidences and accuracy here are over-stated and same-domain traffic will look drifted");
    }

    /**
     * Baseline statistics of {@code model} on the labelled rows of {@code dataFile}. The file's SHA-256 is compared
     * with the training data recorded in the model's head: on its own training data the head is predicted
     * out-of-fold ({@link CrossFit}, {@value #FOLDS} folds, same recipe), so the statistics describe new data from the
     * same source; on other data the model's own predictions are used, and the provenance says what that means.
     * A head trained on train and valid pooled has both files as training data; its fold heads are fitted on both
     * (like the head) when the other file lies beside {@code dataFile} under its recorded name and SHA-256.
     */
    public static BaselineStatistics baseline(Model model, Path dataFile, List<LabeledText> rows, int sketchDim, int threads,
                                              Progress progress) {
        String sha = ModelArchive.sha256(dataFile);
        String source = dataFile.getFileName() + " (sha256 " + sha.substring(0, 12) + ")";
        SoftmaxHead head = !model.heads().isEmpty() ? model.heads().get(0) : null;
        JsonNode training = head == null ? null : head.training();
        String trainSha = training == null ? null : training.path("data").path("train").path("sha256").asText(null);
        String validSha = training == null ? null : training.path("data").path("valid").path("sha256").asText(null);
        boolean pooled = CrossFit.Recipe.pooled(training);
        if (sha.equals(trainSha) || (pooled && sha.equals(validSha))) {
            CrossFit.Recipe recipe = CrossFit.Recipe.of(training);
            if (recipe == null)
                return baseline(model, rows, source, sketchDim, progress).withProvenance("training_data_in_sample",
                        "this is the head's training data but the head records no training recipe to re-fit it out-of-fold: confidences "
                                + "and accuracy are over-stated; use held-out data instead");
            // a pooled head was fitted on both splits: fold heads should be too, or they are weaker than the head
            String other = sha.equals(trainSha) ? "valid" : "train";
            Path otherFile = pooled ? otherSplit(dataFile, training.path("data").path(other)) : null;
            List<LabeledText> fit = new ArrayList<>(rows);
            if (otherFile != null) fit.addAll(DataFiles.readLabeled(otherFile));
            List<String> truth = fit.stream().map(LabeledText::label).toList();
            List<String> texts = fit.stream().map(LabeledText::text).toList();
            Observer.Embedded all = Observer.embed(model, texts, progress);
            progress.update("cross-fit", 0, FOLDS);
            Prediction[] oof = CrossFit.outOfFold(head, recipe, all.vectors(), texts, truth, FOLDS, threads);
            int n = rows.size();
            Observer.Embedded e = new Observer.Embedded(all.tokens().subList(0, n), Arrays.copyOf(all.vectors(), n));
            List<Observation> obs = Observer.observations(e, i -> oof[i], truth.subList(0, n), sketchDim);
            String pooling = !pooled ? ""
                    : otherFile != null ? ". The head was trained on its train and valid splits pooled; so were the fold heads (" + otherFile.getFileName()
                    + " found beside this file with the recorded SHA-256); only this file's rows are in the baseline"
                    : ". The head was trained on its train and valid splits pooled, but its " + other + " split ('"
                    + training.path("data").path(other).path("file").asText("?") + "' with the recorded SHA-256) is not beside this file: the fold "
                    + "heads saw only this file's rows, fewer than the head, so out-of-fold confidence and accuracy are lower than on new data. "
                    + "Put the other split next to this file and run baseline again";
            return BaselineStatistics.of(model.name(), model.version(), source, model.labels(), obs, sketchDim, EmbeddingSketch.SEED, 42)
                    .withOutOfScopeLabel(outOfScopeLabel(model))
                    .withProvenance(BaselineStatistics.CROSS_FITTED, "the head's own training data (SHA-256 recorded in its training metadata): "
                            + "each of " + FOLDS + " label-stratified folds was predicted by the head re-fitted on the other folds ("
                            + (recipe.mlp() != null ? "mlp " + recipe.mlp() + ", " : "")
                            + (head.lexical() != null ? "lexical layer re-trained on the fold's texts (" + head.lexical().vocab().size()
                                    + " features at most, scale " + head.lexical().scale() + "), " : "") + "learning rate "
                            + recipe.learningRate() + ", L2 " + recipe.l2() + ", " + CrossFit.foldEpochs(recipe, (int) Math.round(fit.size() * (FOLDS - 1.0) / FOLDS), FOLDS)
                            + " epochs (the head's " + recipe.epochs() + " scaled to its number of steps), seed " + recipe.seed()
                            + "), so confidences and accuracy are those of new data from this source, not the head's in-sample ones" + pooling);
        }
        BaselineStatistics s = baseline(model, rows, source, sketchDim, progress);
        if (sha.equals(validSha))
            return s.withProvenance(BaselineStatistics.SELECTION_DATA, "the split the head's hyper-parameters and out-of-scope threshold were "
                    + "selected on (its weights never saw it): a fair baseline, with accuracy slightly optimistic");
        if (trainSha != null)
            return s.withProvenance(BaselineStatistics.INDEPENDENT, "not the head's recorded training data (SHA-256 differs): the model's own "
                    + "predictions are used. If these rows overlap its training data, confidences and accuracy are over-stated and "
                    + "same-domain traffic will look drifted");
        return s;
    }

    /** The other split of a pooled head: the file named in its metadata, beside {@code dataFile}, if its SHA-256 matches. */
    private static Path otherSplit(Path dataFile, JsonNode recorded) {
        String name = recorded.path("file").asText(null), sha = recorded.path("sha256").asText(null);
        if (name == null || sha == null) return null;
        Path dir = dataFile.toAbsolutePath().getParent();
        Path f = dir == null ? null : dir.resolve(Path.of(name).getFileName().toString());
        return f != null && Files.isRegularFile(f) && sha.equals(ModelArchive.sha256(f)) ? f : null;
    }

    /** The out-of-scope label of a classifier's first head, if it has one. */
    static String outOfScopeLabel(Model model) {
        if (model.heads().isEmpty()) return null;
        String oos = model.heads().get(0).oosLabel();
        return oos != null && model.labels().contains(oos) ? oos : null;
    }

    /** Writes {@code statistics.json} and {@code constraints.json} (atomically) into {@code dir}. */
    public static void writeBaseline(BaselineStatistics s, Constraints c, Path dir) {
        writeJson(dir.resolve(STATISTICS), s);
        writeJson(dir.resolve(CONSTRAINTS), c);
    }

    public static BaselineStatistics readStatistics(Path dir) {
        return readJson(dir.resolve(STATISTICS), BaselineStatistics.class);
    }

    /** The baseline's constraints, or the defaults when it has no {@code constraints.json}. */
    public static Constraints readConstraints(Path dir) {
        Path f = dir.resolve(CONSTRAINTS);
        if (!Files.exists(f)) return Constraints.defaults();
        ObjectNode merged = JSON.valueToTree(Constraints.defaults());
        JsonNode read = readJson(f, JsonNode.class);
        // keys of older constraints.json files that no longer exist are ignored; missing keys keep their defaults
        read.fields().forEachRemaining(e -> {
            if (merged.has(e.getKey())) merged.set(e.getKey(), e.getValue());
        });
        try {
            return JSON.treeToValue(merged, Constraints.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new BadInputException("bad " + f + ": " + e.getMessage());
        }
    }

    /**
     * Compares the captured events under {@code capture} (from {@code from}, before {@code to}; either may be
     * null) with the baseline in {@code baselineDir}, and writes {@code violations.json} and {@code report.html}
     * to {@code out}. {@code constraints} null: the baseline's.
     */
    public static CheckResult check(Path baselineDir, Path capture, Instant from, Instant to, Constraints constraints, Path out) {
        BaselineStatistics base = readStatistics(baselineDir);
        Constraints c = constraints != null ? constraints : readConstraints(baselineDir);
        CaptureReader.Result read = CaptureReader.read(capture, from, to);
        CheckResult r = DriftCheck.run(base, read.observations(), c);
        writeJson(out.resolve(VIOLATIONS), violationsJson(r, base, capture, read));
        HtmlReport.write(out.resolve(REPORT), base, read.observations(), r, capture.toString());
        return r;
    }

    /** {@code violations.json}: the window, the baseline's provenance, the family decisions, and every signal's verdict. */
    public static ObjectNode violationsJson(CheckResult r, BaselineStatistics base, Path capture, CaptureReader.Result read) {
        ObjectNode o = JSON.createObjectNode();
        o.put("model", base.model());
        o.put("baseline_version", base.version());
        o.put("baseline_source", base.source());
        o.put("baseline_provenance", base.provenance());
        o.put("baseline_provenance_note", base.provenanceNote());
        o.put("capture", capture.toString());
        o.put("events", r.n());
        o.put("labelled", r.labelled());
        o.put("unreadable_lines", read.badLines());
        if (r.n() > 0) {
            o.put("from", Instant.ofEpochMilli(r.fromMillis()).toString());
            o.put("to", Instant.ofEpochMilli(r.toMillis()).toString());
        }
        o.put("alarm", r.alarm());
        o.put("too_small_to_judge", r.tooSmall());
        o.set("drift_family", familyJson(r.drift()));
        o.set("quality_family", familyJson(r.quality()));
        ArrayNode v = o.putArray("violations");
        for (SignalResult s : r.violations()) v.add(signalJson(s));
        ArrayNode all = o.putArray("signals");
        for (SignalResult s : r.signals()) all.add(signalJson(s));
        return o;
    }

    private static ObjectNode familyJson(CheckResult.Family f) {
        ObjectNode j = JSON.createObjectNode();
        j.put("method", f.method());
        j.put("alpha", f.alpha());
        j.put("tested", f.tested());
        j.put("skipped", f.skipped());
        j.put("alarm", f.alarm());
        return j;
    }

    private static ObjectNode signalJson(SignalResult s) {
        ObjectNode j = JSON.createObjectNode();
        j.put("signal", s.signal());
        j.put("status", s.status().name().toLowerCase());
        j.put("statistic", s.statistic());
        put(j, "value", s.value());
        put(j, "p_value", s.p());
        put(j, "p_holm", s.pAdjusted());
        put(j, "baseline", s.baseline());
        put(j, "window", s.window());
        j.put("rule", s.rule());
        j.put("decision", s.decision());
        s.extra().forEach((k, x) -> put(j, k, x));
        return j;
    }

    private static void put(ObjectNode o, String k, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) o.putNull(k);
        else o.put(k, v);
    }

    static void writeJson(Path file, Object value) {
        try {
            AtomicFiles.write(file, out -> JSON.writeValue(new NonClosing(out), value));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static <T> T readJson(Path file, Class<T> type) {
        if (!Files.exists(file)) throw new BadInputException("no " + file.getFileName() + " in " + file.getParent() + " (run 'monitor baseline' first)");
        try {
            return JSON.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new BadInputException("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** Jackson closes the stream it writes; AtomicFiles closes it itself. */
    private static final class NonClosing extends FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
