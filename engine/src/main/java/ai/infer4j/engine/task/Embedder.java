package ai.infer4j.engine.task;

import ai.infer4j.engine.tokenize.TextTokenizer;

import java.util.List;

/** Sentence embeddings: the backbone's pooled, L2-normalised vector is the answer. */
public record Embedder(int dimensions) implements Task {
    @Override
    public String kind() {
        return "embed";
    }

    @Override
    public List<String> labels() {
        return List.of();
    }

    @Override
    public Plan plan(Request request, TextTokenizer tokenizer) {
        return Sequences.texts(request, tokenizer, "this model is not a pair model: it embeds texts; send {\"text\": ...}");
    }

    @Override
    public Answer answer(Plan plan, int item, float[][] vectors) {
        int k = plan.index(item, 0);
        return new Answer.Embedded(vectors[k], plan.sequences().get(k));
    }
}
