package ai.infer4j.engine.batch;

/**
 * Where to cut a length-sorted batch into several forward passes so that less of it is padding.
 *
 * <p>A batch is one tensor padded to its longest sequence, and on a CPU a forward pass costs about the same per
 * padded token whatever the batch size (int8 MiniLM, one thread: ~0.083 ms per token slot from 2 x 8 to 16 x 32
 * slots, plus ~0.3 ms per call, docs/perf.md). So a batch of short queries with one long one pays the long one's length
 * for every row; run as two passes (the short ones, then the long one) it pays that length once. The cut points minimise
 * {@code sum over passes of (rows x longest + callCost)}, with {@code callCost} the fixed cost of one more pass in
 * token slots; exact, by dynamic programming over the sorted lengths (a batch is at most a few dozen rows).
 */
final class PaddingSplit {
    /**
     * The cost of one more forward pass, in padded token slots. More than the ~4 slots a call costs by itself, because
     * a small pass also uses the cores less well per token (small matrices); 16 served 10-45% more than one padded pass
     * and more than 8 or 32 (int8 MiniLM, 2 cores, closed loop with 16 and 64 clients, docs/perf.md).
     */
    static final int CALL_COST_SLOTS = 16;

    private PaddingSplit() { }

    /**
     * @param sortedLengths sequence lengths, ascending
     * @param callCost      the cost of one more pass, in token slots
     * @return the end index (exclusive) of each pass, ascending; the last is {@code sortedLengths.length}
     */
    static int[] cuts(int[] sortedLengths, int callCost) {
        int n = sortedLengths.length;
        for (int i = 1; i < n; i++) {
            if (sortedLengths[i] < sortedLengths[i - 1]) throw new IllegalArgumentException("lengths must be sorted ascending");
        }
        if (n <= 1) return new int[] {n};
        long[] best = new long[n + 1];
        int[] from = new int[n + 1];
        for (int i = 1; i <= n; i++) {
            best[i] = Long.MAX_VALUE;
            for (int j = 0; j < i; j++) { // the pass j..i-1 is padded to its last (longest) length
                long cost = best[j] + (long) (i - j) * sortedLengths[i - 1] + callCost;
                if (cost < best[i]) {
                    best[i] = cost;
                    from[i] = j;
                }
            }
        }
        int passes = 0;
        for (int i = n; i > 0; i = from[i]) passes++;
        int[] cuts = new int[passes];
        for (int i = n, k = passes - 1; i > 0; i = from[i]) cuts[k--] = i;
        return cuts;
    }
}
