package ai.infer4j.cli;

import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.finetune.FineTuneCv;
import ai.infer4j.finetune.FineTuneJob;
import ai.infer4j.finetune.FineTuneOptions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * What {@code finetune} and {@code train --fine-tune-layers} run: one fit (train, scored on valid), or k-fold
 * cross-validation on train + valid pooled, one fold per call or every missing fold, then the summary and a final fit on
 * all rows.
 *
 * @param cv    0: one fit; k >= 2: cross-validation
 * @param fold  with cv: run only this fold (from 1) and write its result file; null: every missing fold, then combine
 * @param cvDir with cv: where the fold result files are
 * @param lexicalFeatures with cv: also try a lexical layer on this many n-gram features (0: all), its scale chosen by the
 *                        folds; null: none
 */
record FineTuneRunner(String backbone, List<Path> train, Path valid, FineTuneOptions options, Path out, Path head, String name,
                      Path cacheDir, int cv, Integer fold, Path cvDir, long foldSeed, Integer lexicalFeatures) {

    int run(PrintWriter w) {
        // read by DJL's PyTorch engine when it starts (below, on first use)
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(options.threads()));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        if ((out == null) != (head == null)) throw new BadInputException("give both the backbone directory and the head file, or neither");
        if (cv == 0) {
            if (fold != null || cvDir != null) throw new BadInputException("--fold and --cv-dir need --cv K");
            if (lexicalFeatures != null)
                throw new BadInputException("a lexical layer's scale is selected by cross-validation: add --cv K (K >= 2) and --cv-dir DIR");
            if (out == null) throw new BadInputException("missing the output: the fine-tuned backbone directory and the head file");
            fit(w, train, valid, null, null);
            return 0;
        }
        if (cv < 2) throw new BadInputException("--cv must be >= 2 (or 0 for one fit), got " + cv);
        if (cvDir == null) throw new BadInputException("--cv needs --cv-dir DIR (one result file per fold goes there)");
        List<Path> pooled = new ArrayList<>(train);
        if (valid != null) pooled.add(valid);
        List<Integer> rows = new ArrayList<>();
        for (Path f : pooled) rows.add(DataFiles.readLabeled(f).size());
        JsonNode setup = FineTuneCv.setup(backbone, pooled, rows, cv, foldSeed, options, lexicalFeatures);
        BackboneFiles files = BackboneFiles.resolve(backbone, cacheDir);
        if (fold != null) {
            if (out != null) throw new BadInputException("--fold runs one fold; the final fit (--out, --head) runs without --fold");
            runFold(w, files, pooled, setup, fold);
            w.printf("next: the other folds (--fold 1..%d), then the same command without --fold to combine them%n", cv);
            w.flush();
            return 0;
        }
        for (int f = 1; f <= cv; f++)
            if (!Files.isRegularFile(FineTuneCv.file(cvDir, cv, f))) runFold(w, files, pooled, setup, f);
        FineTuneCv.Summary s = FineTuneCv.summarize(cvDir, cv, setup);
        int total = rows.stream().mapToInt(Integer::intValue).sum();
        w.printf("%d-fold cross-validation on %d rows (%s pooled; the folds of train --cv, seed %d), %d epochs:%n", cv, total,
                pooled.stream().map(p -> p.getFileName().toString()).toList(), foldSeed, options.epochs());
        w.println("held-out accuracy by epoch, mean +- std over folds (per fold):");
        for (int e = 0; e < s.mean().length; e++) {
            StringJoiner per = new StringJoiner(" ");
            for (FineTuneCv.FoldResult r : s.results()) per.add(String.format("%.4f", r.heldAccuracy().get(e)));
            w.printf("  epoch %d: %.4f +- %.4f  (%s)%n", e + 1, s.mean()[e], s.std()[e], per);
        }
        int last = s.mean().length;
        w.printf("recipe (%d epochs): held-out accuracy %.4f +- %.4f; best mean after epoch %d%n", last, s.mean()[last - 1],
                s.std()[last - 1], s.bestEpoch());
        for (int i = 0; i < s.lexicalMean().length; i++) {
            StringJoiner per = new StringJoiner(" ");
            for (FineTuneCv.FoldResult r : s.results()) per.add(String.format("%.4f", r.heldAccuracyByLexicalScale().get(i)));
            w.printf("  + lexical layer x %s: %.4f +- %.4f  (%s)%n", FineTuneCv.LEXICAL_SCALES.get(i), s.lexicalMean()[i], s.lexicalStd()[i], per);
        }
        if (lexicalFeatures != null)
            w.printf("lexical scale selected: %s%s%n", s.lexicalScale(), s.lexicalScale() == 0 ? " (no lexical layer)" : "");
        w.flush();
        if (out != null)
            fit(w, pooled, null, s.toJson(), s.lexicalScale() > 0 ? new FineTuneJob.Lexical(lexicalFeatures, s.lexicalScale()) : null);
        return 0;
    }

    private void runFold(PrintWriter w, BackboneFiles files, List<Path> pooled, JsonNode setup, int f) {
        long t0 = System.nanoTime();
        FineTuneCv.FoldResult r = FineTuneCv.runFold(files, backbone, pooled, cv, f, foldSeed, options, lexicalFeatures,
                new ProgressBar(System.err));
        if (!r.setup().equals(setup)) throw new IllegalStateException("fold setup differs from the command's: " + r.setup());
        Path file = FineTuneCv.file(cvDir, cv, f);
        FineTuneCv.write(r, file);
        w.printf("fold %d/%d: trained on %d rows, held out %d, %.1f s; wrote %s%n", f, cv, r.fitRows(), r.heldRows(),
                (System.nanoTime() - t0) / 1e9, file);
        for (int e = 0; e < r.heldAccuracy().size(); e++)
            w.printf("  epoch %d: train loss %.4f  held-out accuracy %.4f%n", e + 1, r.trainLoss().get(e), r.heldAccuracy().get(e));
        for (int i = 0; i < r.heldAccuracyByLexicalScale().size(); i++)
            w.printf("  + lexical layer x %s: held-out accuracy %.4f%n", FineTuneCv.LEXICAL_SCALES.get(i), r.heldAccuracyByLexicalScale().get(i));
        w.flush();
    }

    private void fit(PrintWriter w, List<Path> trainFiles, Path validFile, ObjectNode cvJson, FineTuneJob.Lexical lexical) {
        long t0 = System.nanoTime();
        FineTuneJob.Summary s = new FineTuneJob(backbone, trainFiles, validFile, options, out, head, name, cacheDir, cvJson, lexical)
                .run(new ProgressBar(System.err));
        w.printf("wrote %s (fine-tuned backbone, model.onnx sha256 %s) and %s (%d labels) in %.1f s%n", out, s.modelSha256(), head,
                s.head().labels().size(), (System.nanoTime() - t0) / 1e9);
        List<Double> acc = s.validAccuracy();
        for (int e = 0; e < s.trainLoss().size(); e++)
            w.printf("epoch %d: train loss %.4f%s%n", e + 1, s.trainLoss().get(e), acc.isEmpty() ? "" : String.format("  valid accuracy %.4f", acc.get(e)));
        w.printf("next: infer4j archive --name %s --backbone %s --head %s --out %s.mar%n", name, out, head, name);
        w.flush();
    }
}
