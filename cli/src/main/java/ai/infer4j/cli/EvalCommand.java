package ai.infer4j.cli;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.data.LabeledPair;
import ai.infer4j.engine.task.BiEncoderPair;
import ai.infer4j.engine.task.PairHead;
import ai.infer4j.engine.task.PairTask;
import ai.infer4j.engine.task.TokenIdf;
import ai.infer4j.engine.Engine;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.eval.ClassificationReport;
import ai.infer4j.engine.eval.Evaluation;
import ai.infer4j.engine.eval.PairReport;
import ai.infer4j.engine.data.DataFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Evaluates a classifier on labelled JSON lines. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a model on labelled data: accuracy, macro-F1, in-scope accuracy, out-of-scope recall, worst classes; "
                + "for a pair model precision, recall and F1 at its threshold and a precision/recall curve.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, description = "model name or path (default: intent)")
    String model = Engine.DEFAULT_MODEL;

    @Option(names = "--data", required = true,
            description = "JSON lines: {\"text\", \"label\"}, or {\"left\", \"right\", \"label\": 0|1} for a pair model")
    Path data;

    @Option(names = "--report", description = "JSON report to write (default: ${DEFAULT-VALUE})", defaultValue = "eval-report.json")
    Path report;

    @Option(names = "--oos-label", description = "out-of-scope label (default: ${DEFAULT-VALUE})", defaultValue = "oos")
    String oosLabel;

    @Option(names = "--worst", description = "worst classes to list (default: ${DEFAULT-VALUE})", defaultValue = "10")
    int worst;

    @Option(names = "--idf-from-data", description = "pair model with IDF features: count the token IDF over the records "
            + "being scored (labels are not used) instead of the head's training records: how the head does once adapted to "
            + "a new catalogue's records")
    boolean idfFromData;

    @Mixin
    EngineFlags engineFlags;

    @Mixin
    HandlerFlags handlerFlags;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (var handlers = handlerFlags.load(); Engine engine = Engine.create(engineFlags.options(), handlers)) {
            Model m = engine.load(model);
            if (m.task() instanceof PairTask) return evalPairs(m);
            var rows = DataFiles.readLabeled(data);
            ClassificationReport r = Evaluation.classify(m, rows, oosLabel, new ProgressBar(System.err));
            PrintWriter out = spec.commandLine().getOut();
            out.printf("model %s on %s (n=%d)%n", m, data, r.n());
            out.printf("  accuracy           %.4f%n  macro-F1           %.4f%n", r.accuracy(), r.macroF1());
            if (!Double.isNaN(r.oosRecall()))
                out.printf("  in-scope accuracy  %.4f%n  oos recall         %.4f%n", r.inScopeAccuracy(), r.oosRecall());
            if (!r.oosCurve().isEmpty()) {
                out.println("  out-of-scope trade-off (threshold, in-scope rejected, in-scope accuracy, oos recall, oos precision):");
                for (var p : r.oosCurve())
                    out.printf("    %9.4f  %6.2f%%  %.4f  %.4f  %.4f%s%n", p.threshold(), 100 * p.inScopeRejected(), p.inScopeAccuracy(),
                            p.oosRecall(), p.oosPrecision(), p.atHeadThreshold() ? "   <- the head's threshold" : "");
            }
            out.println("  worst classes (F1, precision, recall, support):");
            for (var e : r.worst(worst))
                out.printf("    %-28s %.3f  %.3f  %.3f  %d%n", e.getKey(), e.getValue().f1(), e.getValue().precision(),
                        e.getValue().recall(), e.getValue().support());
            writeReport(Evaluation.toJson(r, m.name(), worst));
        }
        return 0;
    }

    private int evalPairs(Model m) throws IOException {
        var rows = DataFiles.readPairs(data);
        if (idfFromData) m = adaptIdf(m, rows);
        PairReport r = Evaluation.pairs(m, rows, new ProgressBar(System.err));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("model %s on %s (n=%d, %d duplicates)%n", m, data, r.n(), r.positives());
        if (m.task() instanceof BiEncoderPair bi && bi.head().portable() != null) {
            List<Map<String, String>> records = new ArrayList<>();
            for (var row : rows) {
                records.add(row.pair().left());
                records.add(row.pair().right());
            }
            double fam = PairHead.familiarity(records, bi.head().idf());
            out.printf("  familiarity to the head's IDF table %.3f (min %.2f): %s%n", fam, bi.head().portable().minFamiliarity(),
                    fam >= bi.head().portable().minFamiliarity() ? "scored by its trained head"
                            : "scored by its portable head, IDF counted over these records");
        }
        out.printf("  at threshold %.2f:  precision %.4f  recall %.4f  F1 %.4f  (tp %d, fp %d, fn %d)%n", r.threshold(),
                r.precision(), r.recall(), r.f1(), r.truePositives(), r.falsePositives(), r.falseNegatives());
        out.printf("  best F1 on this data %.4f at threshold %.2f;  average precision %.4f%n", r.bestF1(), r.bestThreshold(),
                r.averagePrecision());
        writeReport(Evaluation.toJson(r, m.name()));
        return 0;
    }

    /** The same model with its pair head's IDF counted over the records of {@code rows}. */
    static Model adaptIdf(Model m, List<LabeledPair> rows) {
        if (!(m.task() instanceof BiEncoderPair bi) || bi.head().idf() == null)
            throw new BadInputException("--idf-from-data needs a pair model whose head has IDF features (trained with --trees)");
        if (bi.head().portable() != null)
            throw new BadInputException("--idf-from-data: head " + bi.head().name() + " adapts by itself (its portable branch counts the"
                    + " IDF over the scored records when they are unfamiliar); drop --idf-from-data");
        List<Map<String, String>> records = new ArrayList<>();
        for (var r : rows) {
            records.add(r.pair().left());
            records.add(r.pair().right());
        }
        PairHead h = bi.head().withIdf(TokenIdf.of(records));
        Model adapted = Model.biEncoder(m.name(), m.version(), m.backbone(), h, m.manifest());
        return m.handler() == null ? adapted : adapted.withHandler(m.handler()); // keep a custom handler
    }

    private void writeReport(com.fasterxml.jackson.databind.JsonNode json) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Path abs = report.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(abs.toFile(), json);
        out.printf("report: %s%n", report);
        out.flush();
    }
}
