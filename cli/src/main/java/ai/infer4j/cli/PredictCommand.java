package ai.infer4j.cli;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.Engine;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Request;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.tokenize.Tokens;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** One-shot prediction from arguments or stdin. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Classify (or embed) texts with a model and print the answers.",
                "TEXT '-' reads one input per line from stdin."})
final class PredictCommand implements Callable<Integer> {
    private static final int CHUNK = 64;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = {"-m", "--model"}, description = "built-in name (intent, embed), .mar, archive or export directory, or head .json (default: intent)")
    String model = Engine.DEFAULT_MODEL;

    @Option(names = "--json", description = "one JSON object per input line")
    boolean json;

    @Option(names = "--top", description = "labels in the JSON 'scores' (default: ${DEFAULT-VALUE})", defaultValue = "5")
    int top;

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "texts to score, or '-' for stdin")
    List<String> texts;

    @Mixin
    EngineFlags engineFlags;

    @Mixin
    HandlerFlags handlerFlags;

    @Spec
    CommandSpec spec;

    private int failed;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (var handlers = handlerFlags.load(); Engine engine = Engine.create(engineFlags.options(), handlers)) {
            Model m = engine.load(model);
            if (texts.size() == 1 && texts.get(0).equals("-")) {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                List<String> chunk = new ArrayList<>(CHUNK);
                String line;
                while ((line = in.readLine()) != null) {
                    chunk.add(line);
                    if (chunk.size() == CHUNK) {
                        score(m, chunk, out);
                        chunk.clear();
                    }
                }
                score(m, chunk, out);
            } else {
                score(m, texts, out);
            }
        }
        out.flush();
        return failed == 0 ? 0 : 2;
    }

    /** Scores a chunk in one batch; if some input is bad, scores one at a time so each line gets its own answer. */
    private void score(Model m, List<String> chunk, PrintWriter out) throws Exception {
        if (chunk.isEmpty()) return;
        List<Answer> answers;
        try {
            answers = m.run(Request.ofTexts(chunk));
        } catch (BadInputException e) {
            if (chunk.size() > 1) {
                for (String t : chunk) score(m, List.of(t), out);
                return;
            }
            failed++;
            if (json) out.println(JSON.writeValueAsString(JSON.createObjectNode().put("text", chunk.get(0)).put("error", e.getMessage())));
            else spec.commandLine().getErr().println("error: " + e.getMessage() + " (input: " + abbreviate(chunk.get(0)) + ")");
            return;
        }
        for (int i = 0; i < chunk.size(); i++) {
            Answer a = answers.get(i);
            if (a instanceof Answer.Classified c) printPrediction(chunk.get(i), a.tokens(), c.prediction(), chunk.size() > 1 || texts.size() > 1, out);
            else printEmbedding(chunk.get(i), a.tokens(), a.vector(), out);
        }
    }

    private void printPrediction(String text, Tokens t, Prediction p, boolean many, PrintWriter out) throws Exception {
        if (json) {
            ObjectNode o = JSON.createObjectNode().put("text", text).put("label", p.label()).put("score", round(p.score()));
            ObjectNode scores = o.putObject("scores");
            p.top(top).forEach((k, v) -> scores.put(k, round(v)));
            if (t.truncated()) o.put("truncated", true);
            out.println(JSON.writeValueAsString(o));
        } else {
            out.printf("%s\t%.4f%s%s%n", p.label(), p.score(), many ? "\t" + abbreviate(text) : "",
                    t.truncated() ? "\t(truncated)" : "");
        }
    }

    private void printEmbedding(String text, Tokens t, float[] v, PrintWriter out) throws Exception {
        if (json) {
            ObjectNode o = JSON.createObjectNode().put("text", text);
            var arr = o.putArray("embedding");
            for (float x : v) arr.add(x);
            if (t.truncated()) o.put("truncated", true);
            out.println(JSON.writeValueAsString(o));
        } else {
            out.printf("dim=%d [%.4f, %.4f, %.4f, ...]\t%s%n", v.length, v[0], v[1], v[2], abbreviate(text));
        }
    }

    private static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
