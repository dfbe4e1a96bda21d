package ai.infer4j.engine.task;

import ai.infer4j.engine.error.ModelLoadException;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A bi-encoder pair classifier: logistic regression on {@link PairFeatures} of two records'
 * pooled embeddings, optionally followed by boosted trees on the similarity features and that
 * regression's log-odds; a pair is a duplicate when its probability reaches {@code threshold}.
 *
 * @param name      head name, e.g. {@code duplicate}
 * @param format    how records become text (stored with the head)
 * @param inputDim  backbone width the head reads (384 for MiniLM)
 * @param weights   one weight per feature, {@link PairFeatures#size}{@code (inputDim)} of them
 * @param bias      intercept
 * @param threshold decision threshold on the probability, in (0, 1)
 * @param training  how the head was trained (data hashes, seed, grid, scores); may be null
 * @param trees     boosted trees that give the probability instead of the linear part alone, reading any of
 *                  {@link #KNOWN_TREE_FEATURES} by name; null for a linear head
 * @param idf       token weights of the {@link PairFeatures#IDF} features; required when the trees read them, else null
 * @param blend     weight {@code w} in [0, 1) of {@link #BLEND_FEATURE} in the probability: {@code (1 - w) * trees + w *
 *                  record_idf_cosine}, a similarity on a 0..1 scale that needs no training and so moves less with the
 *                  catalogue than the trees do; 0 = the trees alone (every head before session 6). Needs trees and an
 *                  {@code idf} table.
 * @param portable  a second head for records this head's {@code idf} table does not know (a catalogue it never saw), and
 *                  the {@link #familiarity} below which a call's pairs go to it; null = no switch (every head before
 *                  session 7). Needs an {@code idf} table.
 */
public record PairHead(String name, RecordFormat format, int inputDim, float[] weights, float bias, double threshold,
                       JsonNode training, PairTrees trees, TokenIdf idf, double blend, Portable portable) implements Head {
    /**
     * Fewest distinct records in a call for a head with a {@link #portable} branch to switch: fewer (e.g. one served pair)
     * are too few to judge familiarity by or to count an IDF over, and go to the trained head.
     */
    public static final int MIN_SWITCH_RECORDS = 20;
    /** The {@link PairFeatures#IDF} feature a {@link #blend} mixes into the trees' probability. */
    public static final String BLEND_FEATURE = "record_idf_cosine";
    /** What the first trees read (heads of that version): the lexical features (cosine first), the extra ones, the linear log-odds. */
    public static final List<String> TREE_FEATURES = treeFeatures();
    /** Name of the linear part's log-odds as a tree feature. */
    public static final String LINEAR_LOGIT = "linear_logit";
    /** What trees trained by this version read by default: lexical, extra and IDF features (no linear log-odds). */
    public static final List<String> IDF_TREE_FEATURES = idfTreeFeatures();
    /**
     * What trees trained with candidate features read ({@code train --task pair --candidates}): the {@link PairFeatures#IDF}
     * overlaps and the {@link CandidateFeatures} of two of them.
     */
    public static final List<String> CANDIDATE_TREE_FEATURES = candidateTreeFeatures();
    /**
     * Negative evidence that travels between catalogues: both records carry model/part codes (numbers) and share none.
     * Candidate trees read them with {@code train --task pair --candidates --conflicts}.
     */
    public static final List<String> CONFLICT_FEATURES = List.of("code_conflict", "number_conflict");
    /** {@link #CANDIDATE_TREE_FEATURES} followed by {@link #CONFLICT_FEATURES}. */
    public static final List<String> CANDIDATE_CONFLICT_TREE_FEATURES = concat(CANDIDATE_TREE_FEATURES, CONFLICT_FEATURES);
    /** Every feature a tree may read, in the order of {@link #treeValues}. */
    public static final List<String> KNOWN_TREE_FEATURES = knownTreeFeatures();

    public PairHead {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(format, "format");
        if (inputDim < 1) throw new ModelLoadException("pair head '" + name + "' inputDim must be >= 1, got " + inputDim);
        if (weights.length != PairFeatures.size(inputDim))
            throw new ModelLoadException("pair head '" + name + "' has " + weights.length + " weights; inputDim " + inputDim
                    + " needs " + PairFeatures.size(inputDim) + " (4 x " + inputDim + " + " + PairFeatures.LEXICAL.size() + " lexical)");
        if (!(threshold > 0 && threshold < 1))
            throw new ModelLoadException("pair head '" + name + "' threshold must be in (0, 1), got " + threshold);
        if (trees != null) {
            for (String f : trees.features())
                if (!KNOWN_TREE_FEATURES.contains(f))
                    throw new ModelLoadException("pair head '" + name + "' has trees on feature '" + f
                            + "'; this version computes " + KNOWN_TREE_FEATURES);
            if (idf == null && !Collections.disjoint(trees.features(), PairFeatures.IDF))
                throw new ModelLoadException("pair head '" + name + "' has trees on " + PairFeatures.IDF + " but no 'idf' table");
            if (idf == null && !Collections.disjoint(trees.features(), CandidateFeatures.NAMES))
                throw new ModelLoadException("pair head '" + name + "' has trees on candidate features (they compare "
                        + CandidateFeatures.SOURCES + ") but no 'idf' table");
        }
        if (!(blend >= 0 && blend < 1))
            throw new ModelLoadException("pair head '" + name + "' blend weight must be in [0, 1), got " + blend);
        if (blend > 0 && (trees == null || idf == null))
            throw new ModelLoadException("pair head '" + name + "' blends " + BLEND_FEATURE + " into its trees' probability: it needs"
                    + " trees and an 'idf' table");
        if (portable != null) {
            if (idf == null)
                throw new ModelLoadException("pair head '" + name + "' switches to a portable head by how familiar the records are"
                        + " to its 'idf' table: it needs one");
            if (portable.head().portable() != null)
                throw new ModelLoadException("pair head '" + name + "': its portable head has a portable head of its own");
            if (portable.head().inputDim() != inputDim)
                throw new ModelLoadException("pair head '" + name + "' reads vectors of " + inputDim + ", its portable head "
                        + portable.head().inputDim());
            if (portable.head().idf() == null)
                throw new ModelLoadException("pair head '" + name + "': its portable head needs IDF features (it counts them over"
                        + " the records it scores)");
        }
    }

    /**
     * The branch of a switching head: {@code head} scores the pairs of a call whose records' {@link #familiarity} to the
     * parent's IDF table is below {@code minFamiliarity}, with its IDF counted over those records (as {@code eval
     * --idf-from-data} does).
     */
    public record Portable(PairHead head, double minFamiliarity) {
        public Portable {
            Objects.requireNonNull(head, "portable head");
            if (!(minFamiliarity > 0 && minFamiliarity <= 1))
                throw new ModelLoadException("portable head minFamiliarity must be in (0, 1], got " + minFamiliarity);
        }
    }

    /** A head without a {@link #portable} branch. */
    public PairHead(String name, RecordFormat format, int inputDim, float[] weights, float bias, double threshold, JsonNode training,
                    PairTrees trees, TokenIdf idf, double blend) {
        this(name, format, inputDim, weights, bias, threshold, training, trees, idf, blend, null);
    }

    /** A head without a {@link #blend}. */
    public PairHead(String name, RecordFormat format, int inputDim, float[] weights, float bias, double threshold, JsonNode training,
                    PairTrees trees, TokenIdf idf) {
        this(name, format, inputDim, weights, bias, threshold, training, trees, idf, 0);
    }

    /** A linear head (no trees). */
    public PairHead(String name, RecordFormat format, int inputDim, float[] weights, float bias, double threshold, JsonNode training) {
        this(name, format, inputDim, weights, bias, threshold, training, null, null);
    }

    /** A head whose trees read no {@link PairFeatures#IDF} feature. */
    public PairHead(String name, RecordFormat format, int inputDim, float[] weights, float bias, double threshold, JsonNode training,
                    PairTrees trees) {
        this(name, format, inputDim, weights, bias, threshold, training, trees, null);
    }

    /**
     * The same head with its {@link PairFeatures#IDF} weights counted over other records (e.g. a new catalogue's). Not for a
     * head with a {@link #portable} branch: its table is also what it measures familiarity against, and it adapts by itself.
     */
    public PairHead withIdf(TokenIdf table) {
        if (portable != null)
            throw new IllegalStateException("pair head '" + name + "' switches to its portable head (IDF over the scored records)"
                    + " when the records are unfamiliar; its own table is not replaced");
        return new PairHead(name, format, inputDim, weights, bias, threshold, training, trees, table, blend);
    }

    /** The same head with {@code branch} as its {@link #portable} head, whose IDF table becomes this head's (it is replaced when scoring). */
    public PairHead withPortable(PairHead branch, double minFamiliarity) {
        if (idf == null) throw new IllegalArgumentException("pair head '" + name + "' has no IDF table to measure familiarity against");
        return new PairHead(name, format, inputDim, weights, bias, threshold, training, trees, idf, blend,
                new Portable(branch.withIdf(idf), minFamiliarity));
    }

    /**
     * How familiar {@code records} are to {@code table}: over the distinct records (as {@link TokenIdf#of} reads them), the
     * IDF weight of their word tokens (each once per record) that the table has seen, over the weight of all of them. A
     * token the table has not seen weighs the most, a common one little, so a new catalogue's model numbers and product
     * names pull it down while shared everyday words barely count. 1 for no tokens.
     */
    public static double familiarity(Collection<Map<String, String>> records, TokenIdf table) {
        Set<String> docs = new LinkedHashSet<>();
        for (Map<String, String> r : records) docs.add(PairFeatures.recordText(r));
        double known = 0, all = 0;
        for (String d : docs)
            for (String t : new LinkedHashSet<>(PairFeatures.wordTokens(d))) {
                double w = table.weight(t);
                all += w;
                if (table.counts().containsKey(t)) known += w;
            }
        return all == 0 ? 1 : known / all;
    }

    /**
     * The head that scores pairs of these records, without a branch of its own: for a head with a {@link #portable} branch,
     * the portable head with its IDF counted over {@code records} when they are at least {@link #MIN_SWITCH_RECORDS}
     * distinct records and their {@link #familiarity} to this head's IDF table is below the branch's {@code minFamiliarity};
     * else this head without the branch. Any other head is itself.
     */
    public PairHead route(Collection<Map<String, String>> records) {
        if (portable == null) return this;
        Set<String> docs = new LinkedHashSet<>();
        for (Map<String, String> r : records) docs.add(PairFeatures.recordText(r));
        if (docs.size() < MIN_SWITCH_RECORDS || familiarity(records, idf) >= portable.minFamiliarity())
            return new PairHead(name, format, inputDim, weights, bias, threshold, training, trees, idf, blend);
        return portable.head().withIdf(TokenIdf.of(records));
    }

    private static List<String> treeFeatures() {
        List<String> f = new ArrayList<>(PairFeatures.LEXICAL);
        f.addAll(PairFeatures.EXTRA);
        f.add("linear_logit");
        return List.copyOf(f);
    }

    private static List<String> idfTreeFeatures() {
        List<String> f = new ArrayList<>(PairFeatures.LEXICAL);
        f.addAll(PairFeatures.EXTRA);
        f.addAll(PairFeatures.IDF);
        return List.copyOf(f);
    }

    private static List<String> candidateTreeFeatures() {
        List<String> f = new ArrayList<>(PairFeatures.IDF);
        f.addAll(CandidateFeatures.NAMES);
        return List.copyOf(f);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> f = new ArrayList<>(a);
        f.addAll(b);
        return List.copyOf(f);
    }

    private static List<String> knownTreeFeatures() {
        List<String> f = new ArrayList<>(idfTreeFeatures());
        f.add(LINEAR_LOGIT);
        f.addAll(CandidateFeatures.NAMES);
        return List.copyOf(f);
    }

    /**
     * Whether a pair's score depends on the pairs scored with it: the trees read {@link CandidateFeatures}, or the head
     * {@link #route}s a call by all its records. Such a head scores a whole file in one call where it can ({@code eval}).
     */
    public boolean scoresTogether() {
        return readsCandidates() || portable != null;
    }

    /** Whether the trees read {@link CandidateFeatures}, i.e. a pair's score depends on the pairs scored with it. */
    public boolean readsCandidates() {
        return trees != null && !Collections.disjoint(trees.features(), CandidateFeatures.NAMES);
    }

    /**
     * Every {@link #KNOWN_TREE_FEATURES} value of one pair: {@code features}' lexical part (cosine first), the
     * {@link PairFeatures#EXTRA} values of {@code lexical}, the {@link PairFeatures#IDF} values {@code idfValues}
     * (zeros when null) and the linear log-odds {@code z}.
     */
    public static float[] treeValues(float[] features, float[] lexical, float[] idfValues, double z) {
        return treeValues(features, lexical, idfValues, z, null);
    }

    /** {@link #treeValues(float[], float[], float[], double)} followed by the {@link CandidateFeatures} {@code candidates} (zeros when null). */
    public static float[] treeValues(float[] features, float[] lexical, float[] idfValues, double z, float[] candidates) {
        int lex = PairFeatures.LEXICAL.size(), extra = PairFeatures.EXTRA.size(), idfs = PairFeatures.IDF.size();
        if (lexical.length < lex + extra)
            throw new IllegalArgumentException("pair trees need " + (lex + extra) + " lexical values, got " + lexical.length);
        float[] row = new float[KNOWN_TREE_FEATURES.size()];
        System.arraycopy(features, features.length - lex, row, 0, lex);
        System.arraycopy(lexical, lex, row, lex, extra);
        if (idfValues != null) System.arraycopy(idfValues, 0, row, lex + extra, idfs);
        row[lex + extra + idfs] = (float) z;
        if (candidates != null) System.arraycopy(candidates, 0, row, lex + extra + idfs + 1, CandidateFeatures.NAMES.size());
        return row;
    }

    /** The columns of {@code values} (a {@link #treeValues} row) that trees on {@code names} read, in their order. */
    public static float[] select(float[] values, List<String> names) {
        float[] row = new float[names.size()];
        for (int i = 0; i < row.length; i++) row[i] = values[KNOWN_TREE_FEATURES.indexOf(names.get(i))];
        return row;
    }

    /** Log-odds of the linear part, from the full feature vector. */
    public double linearLogit(float[] features) {
        double z = bias;
        for (int i = 0; i < weights.length; i++) z += weights[i] * features[i];
        return z;
    }

    /**
     * The row the trees read: {@code features}' lexical part (cosine first), the {@link PairFeatures#EXTRA} values of
     * {@code lexical}, and the linear log-odds {@code z}.
     */
    public static float[] treeRow(float[] features, float[] lexical, double z) {
        int lex = PairFeatures.LEXICAL.size(), extra = PairFeatures.EXTRA.size();
        if (lexical.length < lex + extra)
            throw new IllegalArgumentException("pair trees need " + (lex + extra) + " lexical values, got " + lexical.length);
        float[] row = new float[lex + extra + 1];
        System.arraycopy(features, features.length - lex, row, 0, lex);
        System.arraycopy(lexical, lex, row, lex, extra);
        row[lex + extra] = (float) z;
        return row;
    }

    /** Probability of the linear part alone, from the full feature vector. */
    public double probability(float[] features) {
        return 1 / (1 + Math.exp(-linearLogit(features)));
    }

    /**
     * Scores two records' embeddings {@code u}, {@code v} and their {@link PairFeatures#lexical} features; for a head
     * whose trees read {@link PairFeatures#IDF} features use {@link #score(Map, Map, float[], float[])}.
     */
    public PairScore score(float[] u, float[] v, float[] lexical) {
        if (trees != null && (!Collections.disjoint(trees.features(), PairFeatures.IDF) || readsCandidates() || blend > 0))
            throw new IllegalStateException("pair head '" + name + "' reads IDF features: score the records, not only their features");
        return score(u, v, lexical, null);
    }

    /**
     * Scores two records from their embeddings {@code u}, {@code v} (computing their lexical and IDF features). A head that
     * {@link #readsCandidates} scores the pair as a candidate set of its own ({@link CandidateFeatures#alone}); use
     * {@link #scoreAll} to score pairs together. A head with a {@link #portable} branch scores one pair with its trained head
     * (two records are too few to {@link #route} by).
     */
    public PairScore score(Map<String, String> left, Map<String, String> right, float[] u, float[] v) {
        if (portable != null) return route(List.of(left, right)).score(left, right, u, v);   // fewer than MIN_SWITCH_RECORDS
        float[] idfValues = idf == null ? null : PairFeatures.idf(left, right, idf);
        float[] candidates = readsCandidates() ? CandidateFeatures.alone(CandidateFeatures.sources(idfValues)) : null;
        return score(u, v, PairFeatures.lexical(left, right), idfValues, candidates);
    }

    /**
     * Scores pairs together: pair {@code i} is {@code lefts[i]}, {@code rights[i]} with embeddings {@code us[i]},
     * {@code vs[i]}. For a head that {@link #readsCandidates}, each pair's {@link CandidateFeatures} compare it with the
     * pairs of this call that share one of its records (within its {@code group}; null: all one group); any other head
     * scores each pair as {@link #score(Map, Map, float[], float[])} does. A head with a {@link #portable} branch first
     * {@link #route}s the call: all its pairs go to one head, chosen by the familiarity of all the call's records.
     */
    public List<PairScore> scoreAll(List<Map<String, String>> lefts, List<Map<String, String>> rights, List<float[]> us, List<float[]> vs,
                                    int[] group) {
        int n = lefts.size();
        if (rights.size() != n || us.size() != n || vs.size() != n)
            throw new IllegalArgumentException("scoreAll needs as many rights and embeddings as lefts (" + n + ")");
        if (portable != null) {
            List<Map<String, String>> records = new ArrayList<>(lefts);
            records.addAll(rights);
            return route(records).scoreAll(lefts, rights, us, vs, group);
        }
        List<PairScore> out = new ArrayList<>(n);
        if (!readsCandidates()) {
            for (int i = 0; i < n; i++) out.add(score(lefts.get(i), rights.get(i), us.get(i), vs.get(i)));
            return out;
        }
        float[][] idfValues = new float[n][];
        double[][] sims = new double[n][];
        for (int i = 0; i < n; i++) {
            idfValues[i] = PairFeatures.idf(lefts.get(i), rights.get(i), idf);
            sims[i] = CandidateFeatures.sources(idfValues[i]);
        }
        float[][] candidates = CandidateFeatures.of(lefts, rights, sims, group);
        for (int i = 0; i < n; i++)
            out.add(score(us.get(i), vs.get(i), PairFeatures.lexical(lefts.get(i), rights.get(i)), idfValues[i], candidates[i]));
        return out;
    }

    private PairScore score(float[] u, float[] v, float[] lexical, float[] idfValues) {
        return score(u, v, lexical, idfValues, null);
    }

    private PairScore score(float[] u, float[] v, float[] lexical, float[] idfValues, float[] candidates) {
        if (u.length != inputDim || v.length != inputDim)
            throw new IllegalArgumentException("pair head '" + name + "' expects vectors of " + inputDim + ", got " + u.length + " and " + v.length);
        float[] x = PairFeatures.combine(u, v, lexical);
        if (trees == null) return PairScore.of(probability(x), threshold);
        if (trees.features().equals(TREE_FEATURES))
            return PairScore.of(trees.probability(treeRow(x, lexical, linearLogit(x))), threshold);
        double z = trees.features().contains(LINEAR_LOGIT) ? linearLogit(x) : 0;
        double p = trees.probability(select(treeValues(x, lexical, idfValues, z, candidates), trees.features()));
        return PairScore.of(blend(p, idfValues), threshold);
    }

    /** {@code p} (the trees' probability) with the {@link #blend} of {@link #BLEND_FEATURE} from {@code idfValues}. */
    public double blend(double p, float[] idfValues) {
        return blend == 0 ? p : blend(p, idfValues, blend);
    }

    /** {@code (1 - w) * p + w * record_idf_cosine} of one pair's {@link PairFeatures#idf} values. */
    public static double blend(double p, float[] idfValues, double w) {
        return (1 - w) * p + w * idfValues[PairFeatures.IDF.indexOf(BLEND_FEATURE)];
    }
}
