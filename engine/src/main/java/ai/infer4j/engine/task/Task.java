package ai.infer4j.engine.task;

import ai.infer4j.engine.tokenize.TextTokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * What a model does with its backbone: turns a {@link Request} into token sequences ({@link #plan}) and the
 * backbone's vectors for those sequences into answers ({@link #answer}). Everything that serves or scores
 * goes through these two steps, with a batching scheduler or a direct forward pass in between.
 * Implementations are immutable and safe for concurrent callers.
 */
public sealed interface Task permits Classifier, Embedder, PairTask {
    /** The task's name in archives and descriptions: {@code classify}, {@code embed} or {@code pair}. */
    String kind();

    /** Labels of the primary answer, empty for an embedder. */
    List<String> labels();

    /**
     * The token sequences of a request, validated; throws {@link ai.infer4j.engine.error.BadInputException} naming the
     * first bad input ({@code "input 3: ..."} when there are several).
     */
    Plan plan(Request request, TextTokenizer tokenizer);

    /** The answer for input {@code item} of the plan, from the vectors of all its sequences. */
    Answer answer(Plan plan, int item, float[][] vectors);

    /** Every input's answer, in request order. */
    default List<Answer> answers(Plan plan, float[][] vectors) {
        List<Answer> out = new ArrayList<>(plan.request().size());
        for (int i = 0; i < plan.request().size(); i++) out.add(answer(plan, i, vectors));
        return out;
    }
}
