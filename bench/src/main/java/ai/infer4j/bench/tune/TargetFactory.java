package ai.infer4j.bench.tune;

import ai.infer4j.bench.load.Target;

/**
 * Opens a target serving one configuration (the tuner closes it). Injectable, so the tuner's search and choice can be
 * tested against synthetic targets with known latency curves and no model.
 */
@FunctionalInterface
public interface TargetFactory {
    Target open(TuneConfig config) throws Exception;
}
