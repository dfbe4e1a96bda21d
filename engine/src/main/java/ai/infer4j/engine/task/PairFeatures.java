package ai.infer4j.engine.task;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The features a pair head reads: {@code [u, v, |u-v|, u*v]} of the two pooled embeddings, then a few
 * cheap lexical features that matter for products (token overlap, shared model/part numbers, numbers
 * and price agreement). All lexical features are in 0..1.
 */
public final class PairFeatures {
    /** Names of the lexical features, in the order they follow the embedding features. */
    public static final List<String> LEXICAL = List.of(
            "cosine",          // u.v of the L2-normalised embeddings
            "token_jaccard",   // word-token sets of both records
            "code_overlap",    // shared model/part numbers (tokens mixing letters and digits), over the smaller set
            "code_conflict",   // both have codes and none is shared
            "code_in_other",   // a code of one side occurs in the other side's squashed text
            "number_jaccard",  // pure numbers (sizes, versions, years)
            "numbers_present", // both sides have numbers
            "price_similarity",// 1 - |a-b|/max(a,b) of the 'price' fields
            "price_present");  // both sides have a positive price
    /** Field read by the price features. */
    public static final String PRICE = "price";

    private PairFeatures() {
    }

    /** Total feature count for a backbone of width {@code dim}. */
    public static int size(int dim) {
        return 4 * dim + LEXICAL.size();
    }

    /** Lexical features of two records (without {@code cosine}, which {@link #combine} fills in). */
    public static float[] lexical(Map<String, String> left, Map<String, String> right) {
        Side a = Side.of(left), b = Side.of(right);
        float[] f = new float[LEXICAL.size()];
        f[1] = jaccard(a.tokens, b.tokens);
        int shared = intersection(a.codes, b.codes);
        boolean both = !a.codes.isEmpty() && !b.codes.isEmpty();
        f[2] = both ? (float) shared / Math.min(a.codes.size(), b.codes.size()) : 0;
        f[3] = both && shared == 0 ? 1 : 0;
        f[4] = containsAny(a.codes, b.squashed) || containsAny(b.codes, a.squashed) ? 1 : 0;
        f[5] = jaccard(a.numbers, b.numbers);
        f[6] = !a.numbers.isEmpty() && !b.numbers.isEmpty() ? 1 : 0;
        double pa = price(left), pb = price(right);
        if (pa > 0 && pb > 0) {
            f[7] = (float) (1 - Math.abs(pa - pb) / Math.max(pa, pb));
            f[8] = 1;
        }
        return f;
    }

    /** {@code [u, v, |u-v|, u*v, lexical]} with {@code lexical[0]} set to the cosine. */
    public static float[] combine(float[] u, float[] v, float[] lexical) {
        if (u.length != v.length) throw new IllegalArgumentException("vectors differ in width: " + u.length + " vs " + v.length);
        int d = u.length;
        float[] x = new float[size(d)];
        double cos = 0;
        for (int i = 0; i < d; i++) {
            x[i] = u[i];
            x[d + i] = v[i];
            x[2 * d + i] = Math.abs(u[i] - v[i]);
            float p = u[i] * v[i];
            x[3 * d + i] = p;
            cos += p;
        }
        System.arraycopy(lexical, 0, x, 4 * d, lexical.length);
        x[4 * d] = (float) cos;
        return x;
    }

    private record Side(Set<String> tokens, Set<String> codes, Set<String> numbers, String squashed) {
        static Side of(Map<String, String> record) {
            Set<String> tokens = new HashSet<>(), codes = new HashSet<>(), numbers = new HashSet<>();
            StringBuilder squashed = new StringBuilder();
            for (var e : record.entrySet()) {
                if (e.getKey().equals(PRICE)) continue;
                String value = e.getValue().toLowerCase(Locale.ROOT);
                for (String t : value.split("[^\\p{L}\\p{N}.]+")) {
                    t = trimDots(t);
                    if (t.isEmpty()) continue;
                    tokens.add(t);
                    boolean digit = t.chars().anyMatch(Character::isDigit), letter = t.chars().anyMatch(Character::isLetter);
                    if (digit && letter && t.length() >= 3) codes.add(t.replace(".", ""));
                    else if (digit && !letter) numbers.add(t);
                }
                squashed.append(value.replaceAll("[^\\p{L}\\p{N}]", "")).append('|');
                if (e.getKey().equals("modelno")) {
                    String code = value.replaceAll("[^\\p{L}\\p{N}]", "");
                    if (code.length() >= 3) codes.add(code);
                }
            }
            return new Side(tokens, codes, numbers, squashed.toString());
        }
    }

    private static String trimDots(String t) {
        int s = 0, e = t.length();
        while (s < e && t.charAt(s) == '.') s++;
        while (e > s && t.charAt(e - 1) == '.') e--;
        return t.substring(s, e);
    }

    private static boolean containsAny(Set<String> codes, String text) {
        for (String c : codes) if (c.length() >= 4 && text.contains(c)) return true;
        return false;
    }

    private static int intersection(Set<String> a, Set<String> b) {
        int n = 0;
        for (String s : a) if (b.contains(s)) n++;
        return n;
    }

    private static float jaccard(Set<String> a, Set<String> b) {
        if (a.isEmpty() && b.isEmpty()) return 0;
        int inter = intersection(a, b);
        return (float) inter / (a.size() + b.size() - inter);
    }

    private static double price(Map<String, String> record) {
        String p = record.get(PRICE);
        if (p == null) return 0;
        try {
            double v = Double.parseDouble(p.replaceAll("[^0-9.]", ""));
            return Double.isFinite(v) ? v : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
