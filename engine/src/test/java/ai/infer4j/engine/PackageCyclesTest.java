package ai.infer4j.engine;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No package depends on itself through others, in any module's main sources (docs/decisions.md, "package cycles").
 * Dependencies are read from imports and qualified names; comments and string literals are ignored. A cycle is
 * reported with the classes behind each of its edges, so the message says what to move.
 */
class PackageCyclesTest {
    private static final Pattern REF = Pattern.compile("\\b(ai\\.infer4j(?:\\.[a-z]\\w*)+)\\.[A-Z]");
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+);", Pattern.MULTILINE);
    /** Text blocks, strings, char literals and comments, matched left to right so each hides what it contains. */
    private static final Pattern NOISE = Pattern.compile(
            "\"\"\"[\\s\\S]*?\"\"\"|\"(?:\\\\.|[^\"\\\\\\n])*\"|'(?:\\\\.|[^'\\\\\\n])+'|/\\*[\\s\\S]*?\\*/|//[^\\n]*");

    @Test
    void noPackageCyclesInAnyModule() throws IOException {
        Map<String, Map<String, Set<String>>> edges = new TreeMap<>();
        List<Path> files = mainSources(repositoryRoot());
        for (Path f : files) {
            String src = NOISE.matcher(Files.readString(f)).replaceAll(" ");
            Matcher p = PACKAGE.matcher(src);
            if (!p.find()) continue;
            String from = p.group(1);
            Matcher r = REF.matcher(src);
            while (r.find()) {
                if (r.group(1).equals(from)) continue;
                edges.computeIfAbsent(from, k -> new TreeMap<>()).computeIfAbsent(r.group(1), k -> new TreeSet<>())
                        .add(f.getFileName().toString().replace(".java", ""));
            }
        }
        assertThat(files).as("main sources found").hasSizeGreaterThan(100);
        assertThat(edges.get("ai.infer4j.engine")).as("the scan sees the engine's own imports").containsKey("ai.infer4j.engine.task");

        Map<String, Set<String>> graph = new HashMap<>();
        edges.forEach((from, to) -> graph.put(from, to.keySet()));
        List<String> report = new ArrayList<>();
        for (List<String> cycle : cycles(graph)) {
            StringBuilder b = new StringBuilder("cycle: " + cycle);
            for (String a : cycle)
                edges.getOrDefault(a, Map.of()).forEach((to, classes) -> {
                    if (cycle.contains(to)) b.append("\n  ").append(a).append(" -> ").append(to).append(" (").append(classes).append(')');
                });
            report.add(b.toString());
        }
        assertThat(report).as("package cycles; move the shared types to a leaf package").isEmpty();
    }

    @Test
    void theDetectorFindsACycleAndOnlyThatOne() {
        Map<String, Set<String>> g = Map.of("a", Set.of("b"), "b", Set.of("c", "d"), "c", Set.of("a"), "d", Set.of("e"));
        assertThat(cycles(g)).containsExactly(List.of("a", "b", "c"));
        assertThat(cycles(Map.of("a", Set.of("b"), "b", Set.of("c")))).isEmpty();
    }

    /** Strongly connected components with more than one package (Tarjan), each sorted. */
    static List<List<String>> cycles(Map<String, Set<String>> graph) {
        Set<String> nodes = new TreeSet<>(graph.keySet());
        graph.values().forEach(nodes::addAll);
        var t = new Object() {
            final Map<String, Integer> index = new HashMap<>();
            final Map<String, Integer> low = new HashMap<>();
            final List<String> stack = new ArrayList<>();
            final List<List<String>> found = new ArrayList<>();

            void visit(String v) {
                index.put(v, index.size());
                low.put(v, index.get(v));
                stack.add(v);
                for (String w : graph.getOrDefault(v, Set.of())) {
                    if (!index.containsKey(w)) {
                        visit(w);
                        low.put(v, Math.min(low.get(v), low.get(w)));
                    } else if (stack.contains(w)) {
                        low.put(v, Math.min(low.get(v), index.get(w)));
                    }
                }
                if (low.get(v).equals(index.get(v))) {
                    List<String> component = new ArrayList<>(stack.subList(stack.indexOf(v), stack.size()));
                    stack.subList(stack.indexOf(v), stack.size()).clear();
                    if (component.size() > 1) found.add(component.stream().sorted().toList());
                }
            }
        };
        for (String v : nodes) if (!t.index.containsKey(v)) t.visit(v);
        return t.found;
    }

    /** The repository root: the nearest directory, from here up, that holds engine/src/main/java. */
    private static Path repositoryRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent())
            if (Files.isDirectory(d.resolve("engine/src/main/java"))) return d;
        throw new IllegalStateException("no engine/src/main/java above " + Path.of("").toAbsolutePath());
    }

    private static List<Path> mainSources(Path root) throws IOException {
        try (Stream<Path> dirs = Files.walk(root, 5)) {
            List<Path> out = new ArrayList<>();
            for (Path d : dirs.filter(d -> d.endsWith(Path.of("src", "main", "java")) && !d.toString().contains("target") && Files.isDirectory(d)).toList())
                try (Stream<Path> s = Files.walk(d)) {
                    s.filter(f -> f.toString().endsWith(".java") && !f.endsWith("package-info.java")).forEach(out::add);
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
            return out;
        }
    }
}
