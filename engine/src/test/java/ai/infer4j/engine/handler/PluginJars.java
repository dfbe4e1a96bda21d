package ai.infer4j.engine.handler;

import java.net.URISyntaxException;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * Builds handler jars at test time: compiles Java sources with the JDK's compiler against the engine classes, then
 * jars the classes with a {@code META-INF/services} file. The classes exist only in that jar (never on the test class
 * path), so a test can tell which class loader could reach them.
 */
public final class PluginJars {
    private PluginJars() {
    }

    /**
     * @param sources  fully qualified class name → source
     * @param services the classes to list as {@link Handler} providers
     */
    public static Path build(Path jar, Map<String, String> sources, List<String> services) throws IOException {
        Path work = Files.createTempDirectory(jar.getParent(), "src");
        Path classes = Files.createDirectories(work.resolve("classes"));
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-classpath", engineClasses(), "-proc:none", "--release", "17"));
        for (var e : sources.entrySet()) {
            Path src = work.resolve(e.getKey().replace('.', '/') + ".java");
            Files.createDirectories(src.getParent());
            Files.writeString(src, e.getValue());
            args.add(src.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) throw new IllegalStateException("tests need a JDK (no system Java compiler)");
        if (javac.run(null, null, null, args.toArray(String[]::new)) != 0) throw new IllegalStateException("cannot compile " + sources.keySet());
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os)) {
            if (!services.isEmpty()) {
                out.putNextEntry(new JarEntry("META-INF/services/" + Handler.class.getName()));
                out.write((String.join("\n", services) + "\n").getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
            try (var files = Files.walk(classes)) {
                for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                    out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                    Files.copy(f, out);
                    out.closeEntry();
                }
            }
        }
        return jar;
    }

    /** Where the engine's classes are (target/classes, or the engine jar in another module's tests). */
    public static String engineClasses() {
        try {
            return Path.of(Handler.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
