package ai.infer4j.engine.task;

import ai.infer4j.engine.error.ModelLoadException;

import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Inverse document frequencies of word tokens over a set of product records, so that a shared rare token (a model
 * number, a product line) counts more than a shared common one ("black", "software"). A pair head keeps the table of
 * the records it was trained on; {@link #of} builds one from any records, e.g. a new catalogue's, without labels.
 * A token that is not in the table counts as seen in no record (the rarest). Immutable; safe for concurrent callers.
 *
 * @param records how many distinct records the table was counted over (>= 1)
 * @param counts  token -> number of records that contain it (1..records), sorted by token
 */
public record TokenIdf(int records, Map<String, Integer> counts) {
    public TokenIdf {
        if (records < 1) throw new ModelLoadException("token idf needs records >= 1, got " + records);
        counts = Collections.unmodifiableMap(new TreeMap<>(counts));
        for (var e : counts.entrySet())
            if (e.getValue() < 1 || e.getValue() > records)
                throw new ModelLoadException("token idf count of '" + e.getKey() + "' must be 1.." + records + ", got " + e.getValue());
    }

    /** The table over the distinct records among {@code records} (a record is its word tokens, price left out). */
    public static TokenIdf of(Collection<Map<String, String>> records) {
        Set<String> docs = new LinkedHashSet<>();
        for (Map<String, String> r : records) docs.add(PairFeatures.recordText(r));
        Map<String, Integer> counts = new TreeMap<>();
        for (String d : docs) for (String t : new HashSet<>(PairFeatures.wordTokens(d))) counts.merge(t, 1, Integer::sum);
        return new TokenIdf(Math.max(1, docs.size()), counts);
    }

    /** {@code ln((records + 1) / (count + 1)) + 1}: at least 1, largest for an unknown token. */
    public double weight(String token) {
        return Math.log((records + 1.0) / (counts.getOrDefault(token, 0) + 1.0)) + 1;
    }
}
