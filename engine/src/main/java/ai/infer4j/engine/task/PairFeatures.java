package ai.infer4j.engine.task;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The features a pair head reads: {@code [u, v, |u-v|, u*v]} of the two pooled embeddings, then a few
 * cheap lexical features that matter for products (token overlap, shared model/part numbers, numbers
 * and price agreement). All {@link #LEXICAL} features are in 0..1. {@link #lexical} also returns the
 * {@link #EXTRA} similarity features after them, and {@link #idf} the {@link #IDF} ones; only a head with trees reads
 * those. Title features read a record's 'title' or 'name' field (else its first field but the price), so other
 * catalogues' schemas get them too.
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
    /** Similarity features read by pair trees (after {@link #LEXICAL} in {@link #lexical}'s result). */
    public static final List<String> EXTRA = List.of(
            "title_jaccard",          // word tokens of the 'title' fields
            "token_containment",      // shared word tokens over the smaller record's
            "title_trigram_jaccard",  // character 3-grams of the titles
            "title_trigram_containment",
            "brand_known",            // both sides have a brand or manufacturer
            "brand_match",            // one brand contains the other, or their first words agree
            "brand_in_other",         // a side's brand (first word) occurs in the other side's squashed text
            "price_log_ratio",        // |ln(a/b)| of the prices, 0 when either is missing (not bounded)
            "number_containment",     // shared pure numbers over the smaller set
            "number_conflict");       // both have numbers and share none
    /**
     * Token overlap weighted by a {@link TokenIdf} (read by pair trees that list them). Cosine and containment are
     * ratios of weights, so they stay on the same 0..1 scale whatever table (catalogue) the weights come from.
     */
    public static final List<String> IDF = List.of(
            "title_idf_cosine",        // IDF-weighted cosine of the titles' token sets
            "record_idf_cosine",       // the same over all fields but the price
            "title_idf_containment",   // IDF weight of shared title tokens over the lighter title's
            "record_idf_containment");
    /** Fields read as the title, first present wins; else a record's first non-empty field but the price. */
    private static final List<String> TITLE = List.of("title", "name");
    /** Fields read as the brand, first present wins. */
    private static final List<String> BRAND = List.of("brand", "manufacturer");
    /** Field read by the price features. */
    public static final String PRICE = "price";

    private PairFeatures() {
    }

    /** Total feature count for a backbone of width {@code dim}. */
    public static int size(int dim) {
        return 4 * dim + LEXICAL.size();
    }

    /**
     * Lexical features of two records (without {@code cosine}, which {@link #combine} fills in): the {@link #LEXICAL}
     * ones, then the {@link #EXTRA} ones.
     */
    public static float[] lexical(Map<String, String> left, Map<String, String> right) {
        Side a = Side.of(left), b = Side.of(right);
        float[] f = new float[LEXICAL.size() + EXTRA.size()];
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
        extra(left, right, a, b, pa, pb, f, LEXICAL.size());
        return f;
    }

    private static void extra(Map<String, String> left, Map<String, String> right, Side a, Side b, double pa, double pb,
                              float[] f, int o) {
        String ta = title(left), tb = title(right);
        f[o] = jaccard(words(ta), words(tb));
        f[o + 1] = containment(a.tokens, b.tokens);
        Set<String> ga = trigrams(ta), gb = trigrams(tb);
        f[o + 2] = jaccard(ga, gb);
        f[o + 3] = containment(ga, gb);
        String ba = brand(left), bb = brand(right);
        boolean known = !ba.isEmpty() && !bb.isEmpty();
        f[o + 4] = known ? 1 : 0;
        f[o + 5] = known && (ba.contains(bb) || bb.contains(ba) || firstWord(ba).equals(firstWord(bb))) ? 1 : 0;
        f[o + 6] = inOther(ba, b.squashed) || inOther(bb, a.squashed) ? 1 : 0;
        f[o + 7] = pa > 0 && pb > 0 ? (float) Math.abs(Math.log(pa / pb)) : 0;
        boolean numbers = !a.numbers.isEmpty() && !b.numbers.isEmpty();
        f[o + 8] = numbers ? containment(a.numbers, b.numbers) : 0;
        f[o + 9] = numbers && intersection(a.numbers, b.numbers) == 0 ? 1 : 0;
    }

    /** {@link #IDF} features of two records, with token weights from {@code idf}. */
    public static float[] idf(Map<String, String> left, Map<String, String> right, TokenIdf idf) {
        Set<String> ta = words(title(left)), tb = words(title(right));
        Set<String> ra = words(recordText(left)), rb = words(recordText(right));
        return new float[] {(float) weightedCosine(ta, tb, idf), (float) weightedCosine(ra, rb, idf),
                (float) weightedContainment(ta, tb, idf), (float) weightedContainment(ra, rb, idf)};
    }

    private static double weightedCosine(Set<String> a, Set<String> b, TokenIdf idf) {
        double na = 0, nb = 0, shared = 0;
        for (String t : a) {
            double w = idf.weight(t);
            na += w * w;
            if (b.contains(t)) shared += w * w;
        }
        for (String t : b) {
            double w = idf.weight(t);
            nb += w * w;
        }
        return na == 0 || nb == 0 ? 0 : shared / Math.sqrt(na * nb);
    }

    private static double weightedContainment(Set<String> a, Set<String> b, TokenIdf idf) {
        double na = 0, nb = 0, shared = 0;
        for (String t : a) {
            double w = idf.weight(t);
            na += w;
            if (b.contains(t)) shared += w;
        }
        for (String t : b) nb += idf.weight(t);
        return na == 0 || nb == 0 ? 0 : shared / Math.min(na, nb);
    }

    /** A record's title: its 'title' or 'name' field, else its first non-empty field that is not the price. */
    public static String title(Map<String, String> record) {
        for (String f : TITLE) {
            String v = record.get(f);
            if (v != null && !v.isBlank()) return v;
        }
        for (var e : record.entrySet()) if (!e.getKey().equals(PRICE) && !e.getValue().isBlank()) return e.getValue();
        return "";
    }

    /** All of a record's values but the price, space-separated, in the record's order. */
    public static String recordText(Map<String, String> record) {
        StringBuilder sb = new StringBuilder();
        for (var e : record.entrySet()) if (!e.getKey().equals(PRICE)) sb.append(e.getValue()).append(' ');
        return sb.toString();
    }

    /** Lower-cased word tokens (letters, digits and inner dots) of {@code text}, in order, repeats kept. */
    public static List<String> wordTokens(String text) {
        List<String> out = new ArrayList<>();
        for (String t : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}.]+")) {
            t = trimDots(t);
            if (!t.isEmpty()) out.add(t);
        }
        return out;
    }

    private static Set<String> words(String text) {
        return new HashSet<>(wordTokens(text));
    }

    private static Set<String> trigrams(String text) {
        String s = " " + text.toLowerCase(Locale.ROOT).strip().replaceAll("\\s+", " ") + " ";
        Set<String> out = new HashSet<>();
        for (int i = 0; i + 3 <= s.length(); i++) out.add(s.substring(i, i + 3));
        return out;
    }

    private static String brand(Map<String, String> record) {
        for (String f : BRAND) {
            String v = record.get(f);
            if (v != null && !v.isBlank()) return v.toLowerCase(Locale.ROOT).strip();
        }
        return "";
    }

    private static String firstWord(String s) {
        int sp = s.indexOf(' ');
        return sp < 0 ? s : s.substring(0, sp);
    }

    private static boolean inOther(String brand, String squashed) {
        if (brand.isEmpty()) return false;
        String w = firstWord(brand).replaceAll("[^\\p{L}\\p{N}]", "");
        return w.length() >= 2 && squashed.contains(w);
    }

    private static float containment(Set<String> a, Set<String> b) {
        int min = Math.min(a.size(), b.size());
        return min == 0 ? 0 : (float) intersection(a, b) / min;
    }

    /** {@code [u, v, |u-v|, u*v, LEXICAL]} with {@code lexical[0]} set to the cosine ({@link #EXTRA} values are not copied). */
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
        System.arraycopy(lexical, 0, x, 4 * d, LEXICAL.size());
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
