package ai.infer4j.engine.backbone;

import ai.infer4j.engine.io.AtomicFiles;
import ai.infer4j.engine.io.FileStamp;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * What makes a second start fast: ONNX Runtime's native libraries unpacked once into the cache (ONNX Runtime
 * otherwise inflates ~22 MB into a fresh temp directory on every start) and each model's graph optimisations
 * saved once, so later session creations read the optimised graph instead of re-running the optimisers (with the
 * weights prepacked for this CPU where it can be named, see {@link #createSession}).
 *
 * <p>Both caches are keyed by content (the native libraries by their CRCs in the ONNX Runtime jar; an optimised
 * model by the CRC32C of its source file's bytes, remembered while the file's stat data stays the same, the ONNX
 * Runtime build, and for prepacked weights the CPU), written atomically,
 * and skipped (with a debug line) when anything about them is unusual: the cache is a speed-up, never a new way
 * to fail.
 */
public final class OrtRuntime {
    /**
     * The logger, created on first use: {@link #environment} runs on the server's early thread, and creating a logger
     * there would start slf4j (its provider lookup and date format, ~0.1 s of a cold start) before ONNX Runtime's
     * native library loads, making the model's session wait for both (docs/perf.md, cold start, session 11).
     */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(OrtRuntime.class);
    }
    private static final String NATIVE_PATH = "onnxruntime.native.path";
    /** Models larger than this are not cached (ONNX's 2 GiB protobuf limit; external data files stay as they are). */
    private static final long MAX_CACHED_MODEL = 1L << 30;
    private static final int UNUSED_DAYS = 30;
    /** A remembered checksum is written only for files last changed this long before they were hashed. */
    private static final long SETTLED_MILLIS = FileStamp.SETTLED_MILLIS;
    /** Kind of the notes that remember a model file's CRC32C (see {@link #contentCrc}). */
    private static final String CRC_NOTE = "infer4j-crc32c/1";
    /** A copy with prepacked weights is a directory {@code <key>.prepacked} holding this graph and its {@code .data}. */
    private static final String PREPACKED_SUFFIX = ".prepacked";
    private static final String PREPACKED_GRAPH = "model.onnx";
    /**
     * {@code -Dinfer4j.prepacked=false} turns the prepacked copy off (the ORT-format copy serves instead). On by
     * default: a 4-6% faster start and ~36 MB less private memory; its p99 under open-loop load was 1-2 ms worse in
     * session 13's A/Bs on a noisy day and equal or better in session 14's on a quiet one (docs/perf.md, issue 13).
     */
    static final String PREPACKED_PROPERTY = "infer4j.prepacked";

    private OrtRuntime() {
    }

    /**
     * The ONNX Runtime environment, loading the native libraries from {@code cacheDir/native/...} (unpacked there
     * the first time) unless {@code -Donnxruntime.native.path} already names a directory.
     */
    public static synchronized OrtEnvironment environment(Path cacheDir) {
        if (System.getProperty(NATIVE_PATH) == null) {
            Path dir = unpackNativeLibraries(cacheDir);
            if (dir != null) System.setProperty(NATIVE_PATH, dir.toString());
        }
        return OrtEnvironment.getEnvironment();
    }

    /**
     * A session and, when it runs straight from a memory-mapped ORT-format cache file, that mapping: ONNX Runtime
     * reads the graph and the weights from it for the session's whole life. The mapping is held in a static set
     * until {@link #close()}, not by this object: a garbage collector that found the owner unreachable while a
     * forward pass runs in native code would unmap the weights under it.
     */
    public static final class Loaded implements AutoCloseable {
        private final OrtSession session;
        private final ByteBuffer mapped;

        Loaded(OrtSession session, ByteBuffer mapped) {
            this.session = session;
            this.mapped = mapped;
            if (mapped != null) LIVE_MAPPINGS.add(mapped);
        }

        /** A session loaded the ordinary way (nothing mapped). */
        public static Loaded of(OrtSession session) {
            return new Loaded(session, null);
        }

        public OrtSession session() {
            return session;
        }

        /** Closes the session, then lets its mapping go. */
        @Override
        public void close() throws OrtException {
            try {
                session.close();
            } finally {
                if (mapped != null) LIVE_MAPPINGS.remove(mapped);
            }
        }
    }

    private static final Set<ByteBuffer> LIVE_MAPPINGS = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

    /**
     * Creates a CPU session for {@code model} with all graph optimisations. The hardware-independent ones
     * (ORT's "extended" level: fusions of attention, GELU, layer norm) are saved once, and later starts load the
     * saved form:
     * <ul>
     * <li>on a CPU this process can name (Linux, {@code /proc/cpuinfo}), as an ONNX graph whose weights and whose
     * <em>prepacked</em> weights (the MatMul weights in MLAS's layout, which a session otherwise computes and keeps
     * in ~40 MB of new anonymous memory for the built-in model) sit in an external data file that ONNX Runtime maps:
     * a start touches page-cache pages instead of zeroing and filling fresh ones, and processes serving the same
     * model share them. Prepacked data is specific to the CPU's instruction set, so the CPU is part of its key;</li>
     * <li>otherwise, or when that form cannot be written or read, in ONNX Runtime's own format ({@code .ort}, flat
     * buffers), mapped and run from (no protobuf parse, no weight copy: ~3x faster session creation than the
     * source model);</li>
     * <li>when neither can be written or read, the model loads as usual.</li>
     * </ul>
     */
    public static Loaded createSession(OrtEnvironment env, Path model, OrtSession.SessionOptions options,
                                       Path cacheDir) throws OrtException {
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        String key = cacheKey(model, cacheDir);
        if (key == null) return Loaded.of(env.createSession(model.toString(), options));
        Path prepacked = prepackedCopy(key, cacheDir);
        if (prepacked != null) {
            Path graph = prepacked.resolve(PREPACKED_GRAPH);
            if (!Files.isRegularFile(graph)) {
                deleteDirectoryQuietly(prepacked); // a damaged entry (graph gone, data left) would block the rename
                savePrepacked(env, model, prepacked);
            }
            if (Files.isRegularFile(graph)) {
                try {
                    OrtSession s = env.createSession(graph.toString(), options);
                    touch(prepacked);
                    return Loaded.of(s);
                } catch (OrtException | RuntimeException e) {
                    Log.LOG.warn("prepacked-model cache {} unreadable ({}); using the ORT-format copy", prepacked, e.getMessage());
                    deleteDirectoryQuietly(prepacked);
                }
            }
        }
        Path cached = ortCopy(key, cacheDir);
        if (!Files.isRegularFile(cached)) saveOptimised(env, model, cached);
        if (Files.isRegularFile(cached)) {
            try (FileChannel ch = FileChannel.open(cached, StandardOpenOption.READ)) {
                ByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
                options.addConfigEntry("session.use_ort_model_bytes_directly", "1");
                options.addConfigEntry("session.use_ort_model_bytes_for_initializers", "1");
                OrtSession s = env.createSession(mapped, options);
                touch(cached);
                return new Loaded(s, mapped);
            } catch (OrtException | IOException | RuntimeException e) {
                Log.LOG.warn("optimised-model cache {} unreadable ({}); using {}", cached, e.getMessage(), model);
                deleteQuietly(cached);
                return Loaded.of(env.createSession(model.toString(), options)); // the bytes-only entries do not apply to a file
            }
        }
        return Loaded.of(env.createSession(model.toString(), options));
    }

    /**
     * Saves the graph after ORT's hardware-independent optimisers as ONNX with every initializer of 1 KiB or more, and
     * every prepacked constant initializer, in the external data file {@code model.onnx.data} beside it; written into
     * a temporary directory that is renamed to {@code dir} once complete (a reader sees both files or neither).
     * Prepacking happens when a session is created, whatever the optimisation level and thread count; the saving
     * session's kernels (extended level, CPU) are the ones a serving session creates for the saved graph.
     */
    private static void savePrepacked(OrtEnvironment env, Path model, Path dir) {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".part-" + ProcessHandle.current().pid());
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            deleteDirectoryQuietly(tmp);
            Files.createDirectories(tmp);
            so.setIntraOpNumThreads(1);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
            so.addConfigEntry("session.optimized_model_external_initializers_file_name", PREPACKED_GRAPH + ".data");
            so.addConfigEntry("session.optimized_model_external_initializers_min_size_in_bytes", "1024");
            so.addConfigEntry("session.save_external_prepacked_constant_initializers", "1");
            so.setOptimizedModelFilePath(tmp.resolve(PREPACKED_GRAPH).toString());
            try (OrtSession ignored = env.createSession(model.toString(), so)) {
                if (!Files.isRegularFile(tmp.resolve(PREPACKED_GRAPH))) throw new IOException("ONNX Runtime wrote no graph");
            }
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE); // fails if another process's copy is there: it serves
            Log.LOG.debug("saved optimised graph with prepacked weights of {} to {}", model, dir);
            pruneUnused(dir.getParent());
        } catch (OrtException | IOException | RuntimeException e) {
            Log.LOG.debug("prepacked-model cache not written for {}: {}", model, e.toString());
        } finally {
            deleteDirectoryQuietly(tmp);
        }
    }

    /** Runs ORT's hardware-independent optimisers once and writes the result to {@code cached} (atomically). */
    private static void saveOptimised(OrtEnvironment env, Path model, Path cached) {
        Path tmp = cached.resolveSibling(cached.getFileName() + ".part-" + ProcessHandle.current().pid());
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            Files.createDirectories(cached.getParent());
            so.setIntraOpNumThreads(1);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
            so.addConfigEntry("session.save_model_format", "ORT");
            so.setOptimizedModelFilePath(tmp.toString());
            try (OrtSession ignored = env.createSession(model.toString(), so)) {
                Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Log.LOG.debug("saved optimised graph of {} to {}", model, cached);
            }
            pruneUnused(cached.getParent());
        } catch (OrtException | IOException | RuntimeException e) {
            Log.LOG.debug("optimised-model cache not written for {}: {}", model, e.toString());
        } finally {
            deleteQuietly(tmp);
        }
    }

    /**
     * Where the ORT-format copy of {@code model} lives, or null when this model is not cached. The key is the
     * model's content (CRC32C over the whole file, so a re-extracted archive finds its entry) and the ONNX Runtime
     * build. The CRC32C of an unchanged file is remembered (see {@link #contentCrc}).
     */
    static Path optimisedCopy(Path model, Path cacheDir) {
        String key = cacheKey(model, cacheDir, SETTLED_MILLIS);
        return key == null ? null : ortCopy(key, cacheDir);
    }

    static Path optimisedCopy(Path model, Path cacheDir, long settledMillis) {
        String key = cacheKey(model, cacheDir, settledMillis);
        return key == null ? null : ortCopy(key, cacheDir);
    }

    /**
     * Where the ONNX copy with prepacked weights of {@code model} lives (a directory), or null when this model is
     * not cached, this CPU cannot be named or the copy is switched off: the key of the ORT-format copy plus the CPU's
     * identity.
     */
    static Path prepackedCopy(Path model, Path cacheDir) {
        String key = cacheKey(model, cacheDir, SETTLED_MILLIS);
        return key == null ? null : prepackedCopy(key, cacheDir);
    }

    /** Whether sessions use the prepacked copy ({@value #PREPACKED_PROPERTY}, read at each call). */
    static boolean prepackedEnabled() {
        return !"false".equalsIgnoreCase(System.getProperty(PREPACKED_PROPERTY));
    }

    private static Path ortCopy(String key, Path cacheDir) {
        return cacheDir.resolve("ort-optimised").resolve(sha256(key + "\nextended\nort-format").substring(0, 32) + ".ort");
    }

    private static Path prepackedCopy(String key, Path cacheDir) {
        String cpu = CpuIdentity.ID;
        if (cpu == null || !prepackedEnabled()) return null;
        return cacheDir.resolve("ort-optimised")
                .resolve(sha256(key + "\nextended\nonnx-prepacked\n" + cpu).substring(0, 32) + PREPACKED_SUFFIX);
    }

    private static String cacheKey(Path model, Path cacheDir) {
        return cacheKey(model, cacheDir, SETTLED_MILLIS);
    }

    /** The model's size and content CRC32C and the ONNX Runtime build, or null when this model is not cached. */
    private static String cacheKey(Path model, Path cacheDir, long settledMillis) {
        try (FileChannel ch = FileChannel.open(model, StandardOpenOption.READ)) {
            long size = ch.size();
            Path real = model.toRealPath();
            if (size > MAX_CACHED_MODEL || hasExternalData(real)) return null;
            long crc = contentCrc(real, ch, size, cacheDir.resolve("ort-optimised").resolve("crc"), settledMillis);
            return size + "\n" + Long.toHexString(crc) + "\n"
                    + OrtEnvironment.class.getPackage().getImplementationVersion() + "\n" + jarIdentity();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * What makes prepacked weights valid on this machine: MLAS chooses its kernels, and so the packed layout, by the
     * CPU's instruction-set features. The first processor's vendor, family, model, stepping and feature flags from
     * {@code /proc/cpuinfo}, and the JVM's architecture; null where there is no such file or it names no features (no
     * prepacked copy is used there).
     */
    private static final class CpuIdentity {
        static final String ID = read(Path.of("/proc/cpuinfo"));

        static String read(Path cpuinfo) {
            try {
                StringBuilder id = new StringBuilder(System.getProperty("os.arch", "")).append('\n');
                boolean features = false;
                for (String line : Files.readAllLines(cpuinfo, StandardCharsets.ISO_8859_1)) {
                    if (line.isBlank()) break; // the first processor only
                    int colon = line.indexOf(':');
                    if (colon < 0) continue;
                    String name = line.substring(0, colon).trim();
                    if (CPU_FIELDS.contains(name)) {
                        id.append(name).append('=').append(line.substring(colon + 1).trim()).append('\n');
                        features |= name.equals("flags") || name.equals("Features") || name.equals("isa");
                    }
                }
                return features ? sha256(id.toString()) : null;
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }

    private static final Set<String> CPU_FIELDS = Set.of("vendor_id", "cpu family", "model", "model name", "stepping",
            "flags", "Features", "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "CPU revision", "isa");

    /**
     * CRC32C of the file's bytes (~30 ms of a start's CPU for the 90 MB built-in model, hashing before the JIT has
     * warmed up). It is remembered in a note under {@code notes}, one per file path, holding the file's stamp: size,
     * modification and status-change times (nanoseconds), device and inode. A note is used only when the file's stamp
     * is the same now, as build tools and git trust a file's stat data. No write can leave the status-change time
     * (ctime) as it was: the kernel sets it to the current time, and no call sets it back. A note is written only
     * for a file whose last change was {@code settledMillis} or more before the hashing began, and that did not change
     * while it was hashed: a later write then gets a later ctime even on file systems with coarse timestamps
     * (so a write in the same clock tick as the one before cannot go unseen). Without POSIX attributes (Windows) every
     * start hashes.
     */
    static long contentCrc(Path file, FileChannel ch, long size, Path notes, long settledMillis) throws IOException {
        FileStamp stamp = FileStamp.of(file);
        Path note = stamp == null ? null : notes.resolve(sha256(file.toString()).substring(0, 32) + ".crc");
        if (note != null) {
            String known = stamp.readNote(note, CRC_NOTE);
            if (known != null) {
                try {
                    return Long.parseUnsignedLong(known, 16);
                } catch (NumberFormatException e) {
                    // not a note of ours: hash, and write it again
                }
            }
        }
        long began = System.currentTimeMillis();
        CRC32C crc = new CRC32C();
        crc.update(ch.map(FileChannel.MapMode.READ_ONLY, 0, size));
        if (note != null && stamp.settledBefore(began, settledMillis) && stamp.equals(FileStamp.of(file))) {
            try {
                stamp.writeNote(note, CRC_NOTE, Long.toHexString(crc.getValue()));
            } catch (IOException | RuntimeException e) {
                Log.LOG.debug("model checksum not remembered for {}: {}", file, e.toString());
            }
        }
        return crc.getValue();
    }

    /**
     * Entries not used for {@link #UNUSED_DAYS} days are deleted when a new one is written, and so are checksum notes
     * written that long ago (a note still in use is written again at the next start).
     */
    private static void pruneUnused(Path dir) {
        long cutoff = System.currentTimeMillis() - UNUSED_DAYS * 86_400_000L;
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator)
                if (Files.getLastModifiedTime(p).toMillis() < cutoff) {
                    if (p.getFileName().toString().endsWith(".ort")) deleteQuietly(p);
                    else if (p.getFileName().toString().endsWith(PREPACKED_SUFFIX)) deleteDirectoryQuietly(p);
                }
        } catch (IOException e) {
            Log.LOG.debug("optimised-model cache not pruned: {}", e.toString());
        }
        if (!Files.isDirectory(dir.resolve("crc"))) return;
        try (var notes = Files.list(dir.resolve("crc"))) {
            for (Path p : (Iterable<Path>) notes::iterator)
                if (p.getFileName().toString().endsWith(".crc") && Files.getLastModifiedTime(p).toMillis() < cutoff)
                    deleteQuietly(p);
        } catch (IOException e) {
            Log.LOG.debug("checksum notes not pruned: {}", e.toString());
        }
    }

    private static void touch(Path p) {
        try {
            Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis()));
        } catch (IOException ignored) {
            // read-only cache: still usable, just never pruned
        }
    }

    /** Models that keep their weights in side files ({@code model.onnx.data} and the like) are left uncached. */
    private static boolean hasExternalData(Path model) throws IOException {
        try (var files = Files.list(model.getParent())) {
            String name = model.getFileName().toString();
            return files.anyMatch(p -> {
                String n = p.getFileName().toString();
                return !n.equals(name) && n.startsWith(name) && (n.endsWith(".data") || n.endsWith("_data"));
            });
        }
    }

    /**
     * Copies the native libraries for this OS and CPU out of the ONNX Runtime jar into
     * {@code cacheDir/native/onnxruntime-<platform>-<crc>} once; returns that directory, or null to let ONNX
     * Runtime load them its own way (classes not from a jar, platform not packaged, cache not writable).
     */
    static Path unpackNativeLibraries(Path cacheDir) {
        String prefix = "ai/onnxruntime/native/" + platform() + "/";
        try {
            Path jar = Path.of(OrtEnvironment.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(jar)) return null;
            try (JarFile jf = new JarFile(jar.toFile())) {
                List<JarEntry> libs = new ArrayList<>();
                CRC32 id = new CRC32();
                for (var it = jf.entries(); it.hasMoreElements(); ) {
                    JarEntry e = it.nextElement();
                    String n = e.getName();
                    if (!e.isDirectory() && n.startsWith(prefix) && n.indexOf('/', prefix.length()) < 0) {
                        libs.add(e);
                        id.update(n.getBytes(StandardCharsets.UTF_8));
                        id.update(Long.toHexString(e.getCrc()).getBytes(StandardCharsets.UTF_8));
                    }
                }
                if (libs.isEmpty()) return null;
                Path dir = cacheDir.resolve("native").resolve("onnxruntime-" + platform() + "-" + Long.toHexString(id.getValue()));
                for (JarEntry e : libs) {
                    Path target = dir.resolve(e.getName().substring(prefix.length()));
                    if (Files.isRegularFile(target) && Files.size(target) == e.getSize()) continue;
                    try (InputStream in = jf.getInputStream(e)) {
                        AtomicFiles.write(target, in::transferTo);
                    }
                }
                return dir;
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            Log.LOG.debug("ONNX Runtime native libraries not cached ({}); ONNX Runtime unpacks them itself", e.toString());
            return null;
        }
    }

    /** ONNX Runtime's name for this platform's native directory, e.g. {@code linux-x64}. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.contains("mac") || os.contains("darwin") ? "osx" : os.contains("win") ? "win" : "linux";
        String a = arch.equals("amd64") || arch.equals("x86_64") ? "x64" : arch.equals("aarch64") ? "aarch64" : arch;
        return o + "-" + a;
    }

    private static String jarIdentity() {
        try {
            Path jar = Path.of(OrtEnvironment.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.getFileName() + ":" + Files.size(jar);
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes a directory of plain files (a prepacked copy), if it is there. */
    private static void deleteDirectoryQuietly(Path dir) {
        if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) deleteQuietly(p);
        } catch (IOException ignored) {
            // left for the next save, which deletes it again
        }
        deleteQuietly(dir);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover temp file is harmless; the next save overwrites it
        }
    }
}
