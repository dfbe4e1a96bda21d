package ai.infer4j.engine;

/** Receives progress of long work (embedding a data set, a grid search). The CLI draws it as a bar. */
@FunctionalInterface
public interface Progress {
    Progress NONE = (stage, done, total) -> { };

    /** {@code done} of {@code total} units of {@code stage} are finished. */
    void update(String stage, long done, long total);
}
