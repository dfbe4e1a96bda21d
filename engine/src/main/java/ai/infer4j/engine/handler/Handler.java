package ai.infer4j.engine.handler;

import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Request;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A custom handler: Java code that an operator installs around a model's task, to rewrite inputs before tokenization
 * ({@link #before}) and answers after the head ({@link #after}). Handlers are jars in the plugins directory
 * ({@code plugins_dir}), found with {@link java.util.ServiceLoader} (a jar lists its classes in
 * {@code META-INF/services/ai.infer4j.engine.handler.Handler}); a model archive may name one in its manifest
 * ({@code "handler": "NAME"}) but never carries code.
 *
 * <p>One instance per installed handler serves every model that names it, from many threads at once: keep it
 * stateless or thread-safe. Throw {@link ai.infer4j.engine.error.BadInputException} to refuse an input (the caller gets
 * 400 with the message); any other exception fails only that request with a 500 and an incident id (the stack trace
 * goes to the server log, not to the client). Both phases count against the request's deadline.
 *
 * <pre>
 * public final class Lowercase implements Handler {
 *     public String name() { return "lowercase"; }
 *     public Request before(Request r, Context c) {
 *         return r instanceof Request.Texts t
 *                 ? new Request.Texts(t.inputs().stream().map(i -&gt; new TextInput(i.text().toLowerCase(Locale.ROOT), i.textPair())).toList(), t.allHeads())
 *                 : r;
 *     }
 * }
 * </pre>
 */
public interface Handler {
    /** The name archives use to pick this handler: {@code [A-Za-z0-9_.-]{1,64}}, unique among the installed ones. */
    String name();

    /**
     * Checks a model's settings once, when a model that names this handler is loaded: throw
     * {@link IllegalArgumentException} saying what to fix (e.g. a bad {@code handlerOptions} value) and the model is
     * refused at registration (400) instead of failing every request. The default accepts anything.
     */
    default void validate(Context context) {
    }

    /**
     * The request the model sees, made from the caller's. It must have as many inputs as {@code request}: answers go
     * back one per caller input, in order. The default returns it unchanged.
     */
    default Request before(Request request, Context context) {
        return request;
    }

    /**
     * The answers the caller gets, made from the model's answers to {@code request} (the one {@link #before} returned):
     * one per input, in order, each of the same kind ({@link Answer.Classified}, {@link Answer.Embedded} or
     * {@link Answer.Matched}) as the model's. The default returns them unchanged.
     */
    default List<Answer> after(Request request, List<Answer> answers, Context context) {
        return answers;
    }

    /**
     * What a handler knows about the model it runs for; made once when the model is loaded.
     *
     * @param model   the model's name
     * @param version the model's version
     * @param task    {@code classify}, {@code embed} or {@code pair}
     * @param labels  the labels of the model's primary answer (empty for embeddings)
     * @param options the archive's {@code "handlerOptions"} (string to string; empty when absent): data, never code
     */
    record Context(String model, String version, String task, List<String> labels, Map<String, String> options) {
        public Context {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(task, "task");
            labels = labels == null ? List.of() : List.copyOf(labels);
            options = options == null ? Map.of() : Map.copyOf(options);
        }

        /** The option's value, or {@code fallback} when the archive does not set it. */
        public String option(String key, String fallback) {
            return options.getOrDefault(key, fallback);
        }
    }
}
