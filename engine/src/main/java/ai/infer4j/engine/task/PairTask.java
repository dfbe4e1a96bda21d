package ai.infer4j.engine.task;

import java.util.List;

/** A task that scores pairs (record pairs or text pairs): a bi-encoder or a cross-encoder. */
public sealed interface PairTask extends Task permits BiEncoderPair, CrossEncoderPair {
    @Override
    default String kind() {
        return "pair";
    }

    @Override
    default List<String> labels() {
        return PairScore.LABELS;
    }
}
