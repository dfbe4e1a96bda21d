package ai.infer4j.engine.handler;

import ai.infer4j.engine.error.DeadlineExceededException;
import ai.infer4j.engine.Engine;
import ai.infer4j.engine.error.HandlerException;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.PairBatch;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.TestEngine;
import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.Request;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Handlers from a plugins directory: discovery, what they change, how they fail, and that archives carry no code. */
class HandlerTest {
    private static final Duration T = Duration.ofSeconds(30);
    private static final String IMPORTS = "import ai.infer4j.engine.handler.Handler; import ai.infer4j.engine.task.*; "
            + "import ai.infer4j.engine.input.TextInput; import ai.infer4j.engine.input.PairInput; import java.util.*;\n";
    /** Replaces each text by the archive's "text" option, and each record pair by (left, left). */
    static final String REWRITE = "package t; " + IMPORTS + """
            public final class Rewrite implements Handler {
                public String name() { return "rewrite"; }
                public Request before(Request r, Context c) {
                    if (r instanceof Request.Texts t) {
                        List<TextInput> out = new ArrayList<>();
                        for (TextInput i : t.inputs()) out.add(TextInput.of(c.option("text", "?")));
                        return new Request.Texts(out, t.allHeads());
                    }
                    List<PairInput> out = new ArrayList<>();
                    for (PairInput p : ((Request.Pairs) r).pairs()) out.add(new PairInput(p.left(), p.left()));
                    return new Request.Pairs(out);
                }
            }""";
    /** Throws on a text with "boom"; breaks the after() contract on a text with "short". */
    static final String BOOM = "package t; " + IMPORTS + """
            public final class Boom implements Handler {
                public String name() { return "boom"; }
                public Request before(Request r, Context c) {
                    if (r instanceof Request.Texts t && t.inputs().get(0).text().contains("boom")) throw new IllegalStateException("secret detail");
                    return r;
                }
                public List<Answer> after(Request r, List<Answer> a, Context c) {
                    return r instanceof Request.Texts t && t.inputs().get(0).text().contains("short") ? List.of() : a;
                }
            }""";
    /** Sleeps a minute on a text with "slow" (until interrupted). */
    static final String SLOW = "package t; " + IMPORTS + """
            public final class Slow implements Handler {
                public String name() { return "slow"; }
                public Request before(Request r, Context c) {
                    if (r instanceof Request.Texts t && t.inputs().get(0).text().contains("slow")) {
                        try { Thread.sleep(60_000); } catch (InterruptedException e) { throw new IllegalStateException("interrupted"); }
                    }
                    return r;
                }
            }""";
    /** Its class initializer leaves a mark: proof that the class was loaded. */
    static final String MARKER = "package evil; " + IMPORTS + """
            public final class Marker implements Handler {
                static { System.setProperty("infer4j.test.marker.loaded", "true"); }
                public String name() { return "marker"; }
            }""";

    private static Handlers handlers;
    private static Engine engine;
    private static final ConcurrentLinkedQueue<String> timed = new ConcurrentLinkedQueue<>();
    private static Path dir;

    @BeforeAll
    static void install(@TempDir Path tmp) throws Exception {
        dir = tmp;
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        PluginJars.build(plugins.resolve("rewrite.jar"), Map.of("t.Rewrite", REWRITE), List.of("t.Rewrite"));
        PluginJars.build(plugins.resolve("more.jar"), Map.of("t.Boom", BOOM, "t.Slow", SLOW), List.of("t.Boom", "t.Slow"));
        handlers = Handlers.load(plugins, 1, 16, (h, phase, nanos) -> timed.add(h + "/" + phase));
        engine = Engine.create(TestEngine.options(), handlers);
    }

    @AfterAll
    static void close() {
        engine.close();
        handlers.close();
    }

    private static Path archive(String name, String task, String handler, Map<String, String> options) {
        Path head = dir.resolve(name + "-head.json");
        String headName;
        if (task.equals("pair")) {
            HeadFiles.write(Engine.builtinPairHead("duplicate"), head);
            headName = "heads/duplicate.json";
        } else {
            HeadFiles.write(Engine.builtinHead("intent"), head);
            headName = "heads/intent.json";
        }
        Map<String, JsonNode> extra = options.isEmpty() ? Map.of() : Map.of("handlerOptions", new ObjectMapper().valueToTree(options));
        Path mar = dir.resolve(name + ".mar");
        ModelArchive.write(new Manifest(name, "1", task, handler, BackboneFiles.BUILTIN, List.of(headName), 128, Map.of(), extra),
                null, Map.of(headName, head), mar);
        return mar;
    }

    @Test
    void discoversTheHandlersInThePluginsDirectoryJars() {
        assertThat(handlers.names()).containsExactly("boom", "rewrite", "slow");
    }

    @Test
    void rewritesTheRequestOnEveryPath() {
        Model rw = engine.load(archive("rw", "classify", "rewrite", Map.of("text", "what is my checking account balance")).toString());
        Model plain = engine.load("intent");
        String expected = plain.classify(List.of("what is my checking account balance")).get(0).label();
        var sync = (Answer.Classified) rw.run(Request.of("play some jazz")).get(0);
        var async = (Answer.Classified) engine.predict(rw, Request.of("play some jazz"), T).get(0);
        assertThat(sync.prediction().label()).isEqualTo(expected).isEqualTo(async.prediction().label());
        assertThat(timed).contains("rewrite/before", "rewrite/after");
    }

    @Test
    void bulkPairScoringAppliesTheHandler() {
        Model dupRw = engine.load(archive("duprw", "pair", "rewrite", Map.of()).toString());
        Model dup = engine.load("duplicate");
        var left = Map.of("title", "canon pixma ip4500 printer");
        var pair = new PairInput(left, Map.of("title", "garmin nuvi 200 gps"));
        double same = dup.scorePairs(List.of(new PairInput(left, left))).get(0).score();
        assertThat(PairBatch.score(dupRw, List.of(pair), new HashMap<>(), 8).get(0).score().score()).isCloseTo(same, within(1e-5));
        var served = (Answer.Matched) engine.predict(dupRw, new Request.Pairs(List.of(pair)), T).get(0);
        assertThat(served.score().score()).isCloseTo(same, within(1e-4));
    }

    @Test
    void refusesAnArchiveNamingAHandlerThatIsNotInstalled() {
        Path mar = archive("unknown", "classify", "title-normaliser", Map.of());
        assertThatThrownBy(() -> engine.load(mar.toString())).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'title-normaliser', which is not installed")
                .hasMessageContaining("[boom, rewrite, slow]").hasMessageContaining("never loads handler code")
                .satisfies(e -> assertThat(((ModelLoadException) e).status()).isEqualTo(400));
    }

    @Test
    void neverLoadsAClassFromAnArchive(@TempDir Path tmp) throws Exception {
        // An archive directory that carries a handler three ways: a jar, a services file and loose class files.
        Path mar = archive("evil", "classify", "marker", Map.of());
        Path unpacked = ModelArchive.open(mar, tmp.resolve("cache"));
        Path jar = PluginJars.build(unpacked.resolve("marker.jar"), Map.of("evil.Marker", MARKER), List.of("evil.Marker"));
        try (var zip = FileSystems.newFileSystem(jar)) {
            Path cls = Files.createDirectories(unpacked.resolve("evil")).resolve("Marker.class");
            Files.copy(zip.getPath("evil/Marker.class"), cls);
            Files.createDirectories(unpacked.resolve("META-INF/services"));
            Files.copy(zip.getPath("META-INF/services/" + Handler.class.getName()), unpacked.resolve("META-INF/services/" + Handler.class.getName()));
        }
        assertThatThrownBy(() -> engine.load(unpacked.toString())).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'marker', which is not installed");
        assertThat(System.getProperty("infer4j.test.marker.loaded")).isNull();
        // The control: the same jar in a plugins directory is loaded, so the mark would have shown.
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        Files.copy(jar, plugins.resolve("marker.jar"));
        try (Handlers installed = Handlers.load(plugins, 1, 1, HandlerListener.NONE)) {
            assertThat(installed.names()).containsExactly("marker");
            assertThat(System.getProperty("infer4j.test.marker.loaded")).isEqualTo("true");
        }
    }

    @Test
    void aThrowingHandlerFailsOnlyThatRequestWithAnIncident() {
        Model m = engine.load(archive("boomy", "classify", "boom", Map.of()).toString());
        assertThatThrownBy(() -> engine.predict(m, Request.of("boom"), T)).isInstanceOf(HandlerException.class)
                .hasMessageContaining("handler 'boom' failed in before()").hasMessageContaining("incident")
                .hasMessageNotContaining("secret detail").hasRootCauseMessage("secret detail")
                .satisfies(e -> {
                    assertThat(((HandlerException) e).status()).isEqualTo(500);
                    assertThat(((HandlerException) e).incident()).isNotBlank();
                });
        assertThatThrownBy(() -> m.run(Request.of("boom"))).isInstanceOf(HandlerException.class);
        assertThatThrownBy(() -> engine.predict(m, Request.of("short answer"), T)).isInstanceOf(HandlerException.class)
                .hasMessageContaining("failed in after()").hasRootCauseMessage("after() returned 0 answers for 1 inputs");
        assertThat(engine.predict(m, Request.of("fine"), T)).hasSize(1);
    }

    @Test
    void aSlowHandlerIsCutAtTheRequestDeadlineAndItsThreadFreed() {
        Model m = engine.load(archive("slowpoke", "classify", "slow", Map.of()).toString());
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> engine.predict(m, Request.of("slow please"), Duration.ofMillis(200)))
                .isInstanceOf(DeadlineExceededException.class).hasMessageContaining("handler 'slow' did not finish before()")
                .satisfies(e -> assertThat(((DeadlineExceededException) e).status()).isEqualTo(503));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        // One handler thread: this answers only because the stuck call was interrupted at the deadline.
        assertThat(engine.predict(m, Request.of("quick"), Duration.ofSeconds(10))).hasSize(1);
    }

    @Test
    void refusesHandlersWithBuiltInOrDuplicateNames(@TempDir Path tmp) throws Exception {
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        PluginJars.build(plugins.resolve("a.jar"), Map.of("u.Classify", "package u; " + IMPORTS
                + "public final class Classify implements Handler { public String name() { return \"classify\"; } }"), List.of("u.Classify"));
        assertThatThrownBy(() -> Handlers.load(plugins, 1, 1, HandlerListener.NONE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("u.Classify in a.jar").hasMessageContaining("built-in");
    }

    @Test
    void anEmptyPluginsDirectoryInstallsNothing(@TempDir Path tmp) {
        try (Handlers none = Handlers.load(tmp, 1, 1, HandlerListener.NONE)) {
            assertThat(none.names()).isEmpty();
        }
    }
}
