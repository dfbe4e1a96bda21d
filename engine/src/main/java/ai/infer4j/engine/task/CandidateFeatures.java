package ai.infer4j.engine.task;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Features of a pair relative to the other candidate pairs scored with it (the output of a blocking step: each record
 * usually appears in several candidate pairs). For each source similarity ({@link #SOURCES}, two of the
 * {@link PairFeatures#IDF} features) and each side: the pair's similarity minus the best similarity among the other
 * pairs that share its left (right) record, the number of those pairs that are more similar (capped at
 * {@value #MAX_RANK}), and whether the pair is the best candidate of both its records. These are differences and ranks
 * within one catalogue, so their scale does not move with the catalogue the way a raw similarity does.
 *
 * <p>They are computed without labels from the pairs scored together only: a whole file for {@code eval}, one chunk of
 * rows for batch scoring, one request on the server. A pair scored alone has no competitors: its gaps equal its
 * similarities (a missing competitor counts as similarity 0), its ranks are 0 and it is its records' best match.
 */
public final class CandidateFeatures {
    /** The similarities the candidate features compare, by their {@link PairFeatures#IDF} names. */
    public static final List<String> SOURCES = List.of("record_idf_cosine", "title_idf_cosine");
    /** Rank values are capped here (the 6th-best candidate and worse look the same). */
    public static final int MAX_RANK = 5;
    /** Feature names, {@value #PER_SOURCE} per source in {@link #SOURCES} order. */
    public static final List<String> NAMES = names();
    /** Features per source: gap left, gap right, rank left, rank right, mutual best. */
    public static final int PER_SOURCE = 5;

    private CandidateFeatures() {
    }

    private static List<String> names() {
        List<String> n = new ArrayList<>();
        for (String s : SOURCES)
            for (String f : List.of("gap_left", "gap_right", "rank_left", "rank_right", "mutual_best")) n.add(s + "_" + f);
        return List.copyOf(n);
    }

    /** The {@link #SOURCES} values of one pair's {@link PairFeatures#idf} result. */
    public static double[] sources(float[] idfValues) {
        double[] s = new double[SOURCES.size()];
        for (int k = 0; k < s.length; k++) s[k] = idfValues[PairFeatures.IDF.indexOf(SOURCES.get(k))];
        return s;
    }

    /**
     * The {@link #NAMES} values of every pair, comparing each pair only with the pairs of the same {@code group} that
     * share its left or right record (records are equal when their maps are).
     *
     * @param lefts   left record of each pair
     * @param rights  right record of each pair
     * @param sims    {@link #sources} of each pair
     * @param group   group of each pair (pairs of different groups are never compared); null: one group
     */
    public static float[][] of(List<Map<String, String>> lefts, List<Map<String, String>> rights, double[][] sims, int[] group) {
        int n = lefts.size();
        if (rights.size() != n || sims.length != n || (group != null && group.length != n))
            throw new IllegalArgumentException("candidate features need as many rights, similarities and groups as lefts (" + n + ")");
        Map<Object, List<Integer>> byLeft = new HashMap<>(), byRight = new HashMap<>();
        for (int i = 0; i < n; i++) {
            int g = group == null ? 0 : group[i];
            byLeft.computeIfAbsent(List.of(g, lefts.get(i)), k -> new ArrayList<>()).add(i);
            byRight.computeIfAbsent(List.of(g, rights.get(i)), k -> new ArrayList<>()).add(i);
        }
        float[][] out = new float[n][NAMES.size()];
        for (int i = 0; i < n; i++) {
            int g = group == null ? 0 : group[i];
            List<Integer> l = byLeft.get(List.of(g, lefts.get(i))), r = byRight.get(List.of(g, rights.get(i)));
            for (int k = 0; k < SOURCES.size(); k++) {
                double[] a = compare(sims, k, i, l), b = compare(sims, k, i, r);
                int o = k * PER_SOURCE;
                out[i][o] = (float) a[0];
                out[i][o + 1] = (float) b[0];
                out[i][o + 2] = (float) a[1];
                out[i][o + 3] = (float) b[1];
                out[i][o + 4] = a[1] == 0 && b[1] == 0 ? 1 : 0;
            }
        }
        return out;
    }

    /** The features of one pair scored alone (no competitors). */
    public static float[] alone(double[] sims) {
        float[] out = new float[NAMES.size()];
        for (int k = 0; k < SOURCES.size(); k++) {
            out[k * PER_SOURCE] = (float) sims[k];
            out[k * PER_SOURCE + 1] = (float) sims[k];
            out[k * PER_SOURCE + 4] = 1;
        }
        return out;
    }

    /** {gap to the best other pair of the group (others missing: 0), pairs of the group strictly more similar (capped)}. */
    private static double[] compare(double[][] sims, int k, int i, List<Integer> group) {
        double best = 0;
        int above = 0;
        for (int j : group) {
            if (j == i) continue;
            best = Math.max(best, sims[j][k]);
            if (sims[j][k] > sims[i][k]) above++;
        }
        return new double[] {sims[i][k] - best, Math.min(above, MAX_RANK)};
    }
}
