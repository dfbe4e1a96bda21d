package ai.infer4j.examples.titles;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Normalises product titles and brand names so that two listings of one product read alike: Unicode NFKC and lower
 * case, trademark marks dropped, a number and its unit split and the unit spelled one way ({@code 128GB} and
 * {@code 128 gigabytes} both become {@code 128 gb}), and brand aliases replaced by one name
 * ({@code hewlett-packard} → {@code hp}). Brand fields also lose company suffixes ({@code inc}, {@code corp}, ...).
 * Immutable and safe for concurrent callers.
 */
public final class Titles {
    /** Aliases every instance knows: alias → brand. Data sets of the DeepMatcher benchmarks spell these several ways. */
    public static final Map<String, String> DEFAULT_ALIASES = Map.ofEntries(
            Map.entry("hewlett packard", "hp"), Map.entry("hewlett-packard", "hp"),
            Map.entry("microsoft corporation", "microsoft"), Map.entry("microsoft corp", "microsoft"),
            Map.entry("microsoft software", "microsoft"), Map.entry("microsoft licenses", "microsoft"),
            Map.entry("adobe systems", "adobe"), Map.entry("adobe-education-box", "adobe"),
            Map.entry("apple computer", "apple"), Map.entry("apple software", "apple"),
            Map.entry("punch ! software", "punch"), Map.entry("punch software", "punch"),
            Map.entry("encore software", "encore"), Map.entry("valusoft", "valuesoft"),
            Map.entry("sibelius-software-ltd", "sibelius"), Map.entry("humantoolz", "human toolz"),
            Map.entry("western digital", "wd"), Map.entry("buffalo technology", "buffalo"),
            Map.entry("griffin technology", "griffin"));

    private static final Pattern MARKS = Pattern.compile("\\(\\s*(?:r|tm|c|R|TM|C)\\s*\\)|[®™©]");
    private static final Map<String, String> UNITS = units();
    private static final Pattern UNIT = Pattern.compile("(?<![\\p{L}\\d.])(\\d+(?:\\.\\d+)?)\\s*(?:-\\s*)?("
            + String.join("|", UNITS.keySet().stream().sorted(Comparator.comparing(String::length).reversed()).map(Pattern::quote).toList())
            + ")(?![\\p{L}\\d])");
    private static final Pattern SUFFIX = Pattern.compile("(?:\\s+|-)(?:inc|incorporated|corp|corporation|co|ltd|llc|limited)\\s*\\.?\\s*$");
    private static final Pattern SPACES = Pattern.compile("\\s+");

    private final List<Map.Entry<Pattern, String>> aliases;

    /** @param aliases alias → brand (lower case), e.g. {@link #DEFAULT_ALIASES} plus an archive's own */
    public Titles(Map<String, String> aliases) {
        List<Map.Entry<Pattern, String>> out = new ArrayList<>();
        aliases.entrySet().stream().sorted(Comparator.comparing((Map.Entry<String, String> e) -> e.getKey().length()).reversed())
                .forEach(e -> out.add(Map.entry(Pattern.compile("(?<![\\p{L}\\d])" + Pattern.quote(e.getKey().toLowerCase(Locale.ROOT)) + "(?![\\p{L}\\d])"),
                        Matcher.quoteReplacement(e.getValue().toLowerCase(Locale.ROOT)))));
        this.aliases = List.copyOf(out);
    }

    /** Parses {@code "alias=brand;alias2=brand2"} (blank: none). */
    public static Map<String, String> parseAliases(String spec) {
        Map<String, String> out = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) return out;
        for (String part : spec.split(";")) {
            if (part.isBlank()) continue;
            int eq = part.indexOf('=');
            if (eq <= 0 || eq == part.length() - 1)
                throw new IllegalArgumentException("alias '" + part.strip() + "' must read alias=brand (several separated by ';')");
            out.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
        }
        return out;
    }

    /** A title or any free text: case, marks, units, aliases, spaces. */
    public String title(String s) {
        if (s == null) return null;
        String t = MARKS.matcher(s).replaceAll(" "); // before NFKC, which spells ™ as "TM"
        t = Normalizer.normalize(t, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        t = MARKS.matcher(t).replaceAll(" ");
        t = t.replace("''", "\"");
        Matcher m = UNIT.matcher(t);
        StringBuilder sb = new StringBuilder();
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1) + " " + UNITS.get(m.group(2))));
        m.appendTail(sb);
        t = sb.toString();
        for (var a : aliases) t = a.getKey().matcher(t).replaceAll(a.getValue());
        return SPACES.matcher(t).replaceAll(" ").strip();
    }

    /** A brand or manufacturer: as {@link #title}, and company suffixes dropped ({@code intuit inc.} → {@code intuit}). */
    public String brand(String s) {
        if (s == null) return null;
        String t = title(s);
        String before;
        do {
            before = t;
            t = SUFFIX.matcher(t).replaceAll("").strip();
        } while (!t.equals(before) && !t.isEmpty());
        t = title(t); // an alias may show only once the suffix is gone
        return t.isEmpty() ? before : t;
    }

    private static Map<String, String> units() {
        Map<String, String> u = new LinkedHashMap<>();
        for (String s : List.of("gb", "gig", "gigs", "gigabyte", "gigabytes")) u.put(s, "gb");
        for (String s : List.of("tb", "terabyte", "terabytes")) u.put(s, "tb");
        for (String s : List.of("mb", "megabyte", "megabytes")) u.put(s, "mb");
        for (String s : List.of("ghz", "mhz", "mm", "cm", "mp", "mah", "lb", "oz")) u.put(s, s);
        u.put("lbs", "lb");
        u.put("megapixel", "mp");
        u.put("megapixels", "mp");
        for (String s : List.of("\"", "inch", "inches", "in.")) u.put(s, "inch");
        for (String s : List.of("ft", "feet", "foot")) u.put(s, "ft");
        for (String s : List.of("pk", "pack")) u.put(s, "pack");
        for (String s : List.of("w", "watt", "watts")) u.put(s, "w");
        return Map.copyOf(u);
    }
}
