package ai.infer4j.server.inference;

import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.task.Request;
import ai.infer4j.monitor.capture.CaptureEvent;
import ai.infer4j.monitor.capture.CaptureWriter;

import java.util.List;

/**
 * Hands answered requests to the capture writer. Called after the answer is ready: it only builds small records
 * and offers them to the writer's bounded queue (never blocks, never writes).
 */
final class CaptureHook {
    /** Response header with the request's event id; input {@code i} of a multi-input request is {@code id-i}. */
    static final String EVENT_ID_HEADER = "X-Infer4j-Event-Id";

    private CaptureHook() {
    }

    /** A new event id if this request of {@code model} is sampled for capture, else null. Decided before any work. */
    static String sample(CaptureWriter w, String model) {
        return w != null && w.sample(model) ? w.newEventId() : null;
    }

    /** Offers one event per answer (dropped and counted when the writer's queue is full). */
    static void record(CaptureWriter w, String id, String model, String version, Request request, List<Answer> answers, long startNanos) {
        long latencyMicros = (System.nanoTime() - startNanos) / 1000;
        long now = w.nowMillis();
        for (int i = 0; i < answers.size(); i++) {
            Answer a = answers.get(i);
            TextInput in = input(request, i);
            int tokens = a.tokens() == null ? 0 : a.tokens().length();
            int unknown = a.tokens() == null ? 0 : a.tokens().unknownCount();
            w.offer(new CaptureEvent(answers.size() == 1 ? id : id + "-" + i, now, model, version, in.text(), in.textPair(),
                    prediction(a), a.vector(), latencyMicros, tokens, a.truncated(), unknown));
        }
    }

    /** The captured text of input {@code i}: the text (and pair), or a record pair's two records as text. */
    private static TextInput input(Request request, int i) {
        if (request instanceof Request.Texts t) return t.inputs().get(i);
        var p = ((Request.Pairs) request).pairs().get(i);
        return new TextInput(p.left().toString(), p.right().toString());
    }

    static Prediction prediction(Answer a) {
        if (a instanceof Answer.Classified c) return c.prediction();
        if (a instanceof Answer.Matched m) return m.prediction();
        return null; // an embedding
    }
}
