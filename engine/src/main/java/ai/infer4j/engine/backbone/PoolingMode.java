package ai.infer4j.engine.backbone;

/**
 * How a {@code [batch, tokens, hidden]} output becomes one vector per input (then L2-normalised): the mean over the real
 * tokens (sentence-transformers models such as all-MiniLM-L6-v2, e5), or the first token's state (BGE, trained with
 * [CLS] pooling), or both side by side ({@code [cls, mean]}, each half L2-normalised, the whole scaled to unit length;
 * twice as wide), as sentence-transformers concatenates the modes a pooling config enables.
 */
public enum PoolingMode {
    MEAN,
    CLS,
    CLS_MEAN
}
