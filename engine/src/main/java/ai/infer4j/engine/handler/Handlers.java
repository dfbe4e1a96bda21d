package ai.infer4j.engine.handler;

import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.archive.Manifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The installed custom handlers: every {@link Handler} found with {@link ServiceLoader} in the jars of one plugins
 * directory, through one class loader over those jars only (handlers on the application class path are not picked
 * up, and nothing else is ever put on a class loader: archives carry data, never code). Handlers run on their own
 * bounded pool ({@code infer4j-handler-N}) so that a slow one is cut off at the request deadline without holding an
 * I/O thread. Safe for concurrent callers; {@link #close()} stops the pool and closes the class loader.
 *
 * <pre>
 * try (Handlers handlers = Handlers.load(Path.of("plugins"), 2, 1024, HandlerListener.NONE);
 *      Engine engine = Engine.create(EngineOptions.defaults(), handlers)) {
 *     Model m = engine.load("dup-titles.mar");   // its manifest says "handler": "title-normaliser"
 * }
 * </pre>
 */
public final class Handlers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Handlers.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Handlers NONE = new Handlers(Map.of(), null, null, HandlerListener.NONE, null);

    private final Map<String, Handler> byName;
    private final URLClassLoader loader;
    private final ThreadPoolExecutor pool;
    private final HandlerListener listener;
    private final Path dir;

    private Handlers(Map<String, Handler> byName, URLClassLoader loader, ThreadPoolExecutor pool, HandlerListener listener, Path dir) {
        this.byName = Collections.unmodifiableMap(byName);
        this.loader = loader;
        this.pool = pool;
        this.listener = listener;
        this.dir = dir;
    }

    /** No handlers installed (the default): archives can name only the built-in ones. */
    public static Handlers none() {
        return NONE;
    }

    /**
     * Finds the handlers in the {@code *.jar} files directly inside {@code pluginsDir} (in file-name order) and
     * instantiates each once. Refuses, naming the jar, a handler whose name is invalid, built-in or already taken.
     *
     * @param threads       handler calls that may run at once (>= 1)
     * @param queueCapacity handler calls that may wait for a thread; beyond that a request is refused with 503
     * @param listener      gets the time of every handler call
     */
    public static Handlers load(Path pluginsDir, int threads, int queueCapacity, HandlerListener listener) {
        Objects.requireNonNull(listener, "listener");
        if (threads < 1) throw new IllegalArgumentException("handler threads must be >= 1, got " + threads);
        if (queueCapacity < 1) throw new IllegalArgumentException("handler queue capacity must be >= 1, got " + queueCapacity);
        Path dir = pluginsDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("plugins_dir " + dir + " is not a directory");
        List<URL> jars = jars(dir);
        URLClassLoader loader = new URLClassLoader("infer4j-plugins", jars.toArray(URL[]::new), Handler.class.getClassLoader());
        Map<String, Handler> byName = new TreeMap<>();
        Map<String, String> from = new TreeMap<>();
        try {
            for (ServiceLoader.Provider<Handler> p : ServiceLoader.load(Handler.class, loader).stream().toList()) {
                if (p.type().getClassLoader() != loader) continue; // on the application class path, not in plugins_dir
                Handler h = p.get();
                String where = p.type().getName() + " in " + source(p.type());
                String name = h.name();
                if (name == null || !NAME.matcher(name).matches())
                    throw new IllegalArgumentException("handler " + where + " has name '" + name + "'; names must match " + NAME);
                if (Manifest.HANDLERS.contains(name))
                    throw new IllegalArgumentException("handler " + where + " is named '" + name + "', a built-in handler; pick another name");
                if (byName.containsKey(name))
                    throw new IllegalArgumentException("two handlers are named '" + name + "': " + from.get(name) + " and " + where);
                byName.put(name, h);
                from.put(name, where);
            }
        } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
            closeQuietly(loader);
            throw new IllegalArgumentException("plugins_dir " + dir + ": " + e.getMessage(), e);
        }
        if (byName.isEmpty()) {
            log.info("plugins_dir {}: no handlers in {} jar(s)", dir, jars.size());
            closeQuietly(loader);
            return new Handlers(Map.of(), null, null, listener, dir);
        }
        from.forEach((name, where) -> log.info("handler '{}' installed: {}", name, where));
        AtomicInteger seq = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queueCapacity), r -> {
            Thread t = new Thread(r, "infer4j-handler-" + seq.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        return new Handlers(byName, loader, pool, listener, dir);
    }

    private static List<URL> jars(Path dir) {
        try (var files = Files.list(dir)) {
            List<URL> out = new ArrayList<>();
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f)).sorted().toList())
                out.add(p.toUri().toURL());
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list plugins_dir " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String source(Class<?> type) {
        var cs = type.getProtectionDomain().getCodeSource();
        if (cs == null || cs.getLocation() == null) return "?";
        String s = cs.getLocation().getPath();
        return s.substring(s.lastIndexOf('/') + 1);
    }

    /** Names of the installed handlers, sorted. */
    public Set<String> names() {
        return byName.keySet();
    }

    /** The directory the handlers came from, or null when none was given. */
    public Path dir() {
        return dir;
    }

    /**
     * The handler called {@code name}, bound to a model. Throws {@link ModelLoadException} (400 at registration) naming
     * the installed handlers when there is none by that name.
     *
     * @param what the model, for the message, e.g. {@code "model 'dup' (archive dup.mar)"}
     */
    public BoundHandler bind(String name, Handler.Context context, String what) {
        Handler h = byName.get(name);
        if (h == null)
            throw new ModelLoadException(what + " names handler '" + name + "', which is not installed; installed handlers: " + names()
                    + (dir == null ? " (no plugins_dir is set)" : " (from plugins_dir " + dir + ")")
                    + ". Put the handler's jar in plugins_dir: infer4j never loads handler code from an archive");
        try {
            h.validate(context);
        } catch (RuntimeException e) {
            throw new ModelLoadException(what + ": handler '" + name + "' refuses its settings: " + e.getMessage(), e);
        }
        return new BoundHandler(h, context, pool, listener);
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
            try {
                if (!pool.awaitTermination(2, TimeUnit.SECONDS)) log.warn("handler threads still running after 2 s at shutdown");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeQuietly(loader);
    }

    private static void closeQuietly(URLClassLoader loader) {
        if (loader == null) return;
        try {
            loader.close();
        } catch (IOException e) {
            log.warn("cannot close the plugins class loader: {}", e.getMessage());
        }
    }
}
