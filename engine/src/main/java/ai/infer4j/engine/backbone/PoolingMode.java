package ai.infer4j.engine.backbone;

/**
 * How a {@code [batch, tokens, hidden]} output becomes one vector per input (then L2-normalised): the mean over the real
 * tokens (sentence-transformers models such as all-MiniLM-L6-v2, e5), or the first token's state (BGE, trained with
 * [CLS] pooling).
 */
public enum PoolingMode {
    MEAN,
    CLS
}
