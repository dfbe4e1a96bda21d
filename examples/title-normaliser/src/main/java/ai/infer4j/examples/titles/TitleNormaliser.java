package ai.infer4j.examples.titles;

import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.handler.Handler;
import ai.infer4j.engine.task.Request;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The {@code title-normaliser} handler: before a product pair (or a text) reaches the duplicate model, its titles and
 * brands are normalised by {@link Titles}, so {@code "Apple iPod 8GB"} and {@code "apple ipod 8 gb"} read alike.
 * Answers are left as they are.
 *
 * <p>Archive options ({@code "handlerOptions"} in the manifest): {@code aliases} adds brand aliases
 * ({@code "alias=brand;alias2=brand2"}); {@code fields} lists the record fields to normalise (default
 * {@value #DEFAULT_FIELDS}; fields named {@code brand} or {@code manufacturer} also lose company suffixes); other fields,
 * e.g. {@code price} and {@code modelno}, pass unchanged. Stateless apart from a cache of the per-archive settings;
 * safe for concurrent callers.
 */
public final class TitleNormaliser implements Handler {
    public static final String NAME = "title-normaliser";
    public static final String DEFAULT_FIELDS = "title,name,brand,manufacturer,category,text";

    private record Settings(Titles titles, Set<String> fields) { }

    /** Settings per archive options (one entry per model that uses this handler). */
    private final Map<Map<String, String>, Settings> settings = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return NAME;
    }

    /** Refuses a model whose {@code aliases} option does not parse, at registration. */
    @Override
    public void validate(Context context) {
        settings.computeIfAbsent(context.options(), TitleNormaliser::settingsOf);
    }

    @Override
    public Request before(Request request, Context context) {
        Settings s = settings.computeIfAbsent(context.options(), TitleNormaliser::settingsOf);
        if (request instanceof Request.Pairs p) {
            List<PairInput> out = new ArrayList<>(p.pairs().size());
            for (PairInput pair : p.pairs()) out.add(new PairInput(record(pair.left(), s), record(pair.right(), s)));
            return new Request.Pairs(out);
        }
        Request.Texts t = (Request.Texts) request;
        List<TextInput> out = new ArrayList<>(t.inputs().size());
        for (TextInput in : t.inputs()) out.add(new TextInput(s.titles().title(in.text()), s.titles().title(in.textPair())));
        return new Request.Texts(out, t.allHeads());
    }

    private static Map<String, String> record(Map<String, String> rec, Settings s) {
        Map<String, String> out = new LinkedHashMap<>();
        rec.forEach((field, value) -> {
            String f = field.toLowerCase(Locale.ROOT);
            out.put(field, !s.fields().contains(f) ? value
                    : f.equals("brand") || f.equals("manufacturer") ? s.titles().brand(value) : s.titles().title(value));
        });
        return out;
    }

    private static Settings settingsOf(Map<String, String> options) {
        Map<String, String> aliases = new HashMap<>(Titles.DEFAULT_ALIASES);
        aliases.putAll(Titles.parseAliases(options.get("aliases")));
        Set<String> fields = Arrays.stream(options.getOrDefault("fields", DEFAULT_FIELDS).split(","))
                .map(String::strip).filter(f -> !f.isEmpty()).map(f -> f.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        return new Settings(new Titles(aliases), fields);
    }
}
