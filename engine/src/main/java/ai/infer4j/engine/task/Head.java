package ai.infer4j.engine.task;

/** A trained head read from an infer4j head file: a softmax classifier or a pair classifier. */
public sealed interface Head permits SoftmaxHead, PairHead {
    String name();

    /** Width of the backbone vector this head reads. */
    int inputDim();
}
