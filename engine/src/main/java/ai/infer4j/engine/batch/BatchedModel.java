package ai.infer4j.engine.batch;

import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Plan;

import java.util.List;

/**
 * What a {@link BatchScheduler} needs of a model: a name for its messages, the backbone it runs on, and how it turns
 * the backbone vectors of a planned request into answers. The engine's {@code Model} is one.
 */
public interface BatchedModel {
    String name();

    Backbone backbone();

    /** The answers to {@code plan}, given one backbone vector per planned sequence, in order. */
    List<Answer> answers(Plan plan, float[][] vectors);
}
