package ai.infer4j.engine.archive;

import ai.infer4j.engine.io.AtomicFiles;
import ai.infer4j.engine.error.ModelLoadException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Model archives ({@code NAME.mar}: a zip, or the same tree as a directory). Extraction refuses
 * absolute paths, {@code ..}, too many entries and too many bytes; manifests are validated up front.
 */
public final class ModelArchive {
    public static final String MANIFEST = "MAR-INF/MANIFEST.json";
    /** Limits that stop zip bombs: entries, and total uncompressed bytes. */
    public static final int MAX_ENTRIES = 1_000;
    public static final long MAX_TOTAL_BYTES = 4L << 30;
    /** An entry expanding more than this many times its compressed size (beyond 1 MiB) is treated as a zip bomb. */
    public static final int MAX_COMPRESSION_RATIO = 200;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ModelArchive() {
    }

    /** True if {@code path} is an archive: a {@code .mar}/zip file or a directory holding {@value #MANIFEST}. */
    public static boolean isArchive(Path path) {
        return Files.isDirectory(path) ? Files.isRegularFile(path.resolve(MANIFEST))
                : Files.isRegularFile(path) && (path.toString().endsWith(".mar") || path.toString().endsWith(".zip"));
    }

    /**
     * Returns a directory with the archive's files: the directory itself, or the zip extracted safely
     * into {@code cacheDir/archives/<sha256>} (reused when already there).
     */
    public static Path open(Path archive, Path cacheDir) {
        if (Files.isDirectory(archive)) return archive;
        String digest = sha256(archive);
        Path target = cacheDir.resolve("archives").resolve(digest);
        if (Files.isRegularFile(target.resolve(".complete"))) return target;
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempDirectory(target.getParent(), digest + ".part");
            extract(archive, tmp);
            Files.writeString(tmp.resolve(".complete"), archive.toString());
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                if (!Files.isRegularFile(target.resolve(".complete"))) throw raced;
            }
            return target;
        } catch (IOException e) {
            throw new ModelLoadException("cannot extract archive " + archive + ": " + e.getMessage(), e);
        }
    }

    /** Extracts {@code zip} into {@code dir}, refusing entries that would land outside it. */
    static void extract(Path zip, Path dir) throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        try (ZipFile zf = new ZipFile(zip.toFile())) {
            if (zf.size() > MAX_ENTRIES)
                throw new ModelLoadException("archive " + zip + " has " + zf.size() + " entries; the limit is " + MAX_ENTRIES);
            long total = 0;
            var entries = zf.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                String name = e.getName();
                if (name.startsWith("/") || name.startsWith("\\") || name.contains("\\") || name.matches("^[A-Za-z]:.*"))
                    throw new ModelLoadException("archive entry '" + name + "' is an absolute path; refused");
                Path out = root.resolve(name).normalize();
                if (!out.startsWith(root) || out.equals(root))
                    throw new ModelLoadException("archive entry '" + name + "' points outside the archive; refused");
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                    continue;
                }
                Files.createDirectories(out.getParent());
                long limit = Math.max(1L << 20, (long) MAX_COMPRESSION_RATIO * Math.max(1, e.getCompressedSize()));
                long entryBytes = 0;
                try (InputStream in = zf.getInputStream(e); OutputStream os = Files.newOutputStream(out)) {
                    byte[] buf = new byte[1 << 16];
                    int r;
                    while ((r = in.read(buf)) > 0) {
                        total += r;
                        entryBytes += r;
                        if (entryBytes > limit)
                            throw new ModelLoadException("archive entry '" + name + "' expands more than " + MAX_COMPRESSION_RATIO
                                    + "x its compressed size; refused as a likely zip bomb");
                        if (total > MAX_TOTAL_BYTES)
                            throw new ModelLoadException("archive " + zip + " expands beyond " + MAX_TOTAL_BYTES + " bytes; refused");
                        os.write(buf, 0, r);
                    }
                }
            }
        }
    }

    /** Reads and validates the manifest of an archive directory, and checks that the files it names exist. */
    public static Manifest readManifest(Path dir) {
        refuseSymlinks(dir);
        Path file = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(file)) throw new ModelLoadException("archive " + dir + " has no " + MANIFEST);
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelLoadException(MANIFEST + " in " + dir + " is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new ModelLoadException(MANIFEST + " in " + dir + " is not a JSON object");
        List<String> heads = new ArrayList<>();
        root.path("heads").forEach(h -> heads.add(h.asText()));
        Map<String, Object> batching = root.has("batching")
                ? JSON.convertValue(root.get("batching"), new TypeReference<Map<String, Object>>() { }) : Map.of();
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!List.of("modelName", "modelVersion", "task", "handler", "backbone", "heads", "maxLength", "batching").contains(f))
                extra.put(f, root.get(f));
        }
        Manifest m = new Manifest(text(root, "modelName"), text(root, "modelVersion"), text(root, "task"),
                root.hasNonNull("handler") ? root.get("handler").asText() : null, text(root, "backbone"), heads,
                root.path("maxLength").asInt(128), batching, extra);
        if (!m.backbone().startsWith("builtin:")) {
            requireFile(dir, m.backbone());
            requireFile(dir, "tokenizer.json");
        }
        for (String h : m.heads()) requireFile(dir, h);
        return m;
    }

    /** Symbolic links could point a model at any file on the machine; archives may not contain them. */
    private static void refuseSymlinks(Path dir) {
        try (var files = Files.walk(dir)) {
            files.filter(Files::isSymbolicLink).findFirst().ifPresent(link -> {
                throw new ModelLoadException("archive " + dir + " contains a symbolic link '" + dir.relativize(link) + "'; refused");
            });
        } catch (IOException e) {
            throw new ModelLoadException("cannot read archive " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) throw new ModelLoadException(MANIFEST + " is missing '" + field + "'");
        return n.asText();
    }

    private static void requireFile(Path dir, String name) {
        Path p = dir.resolve(name).normalize();
        if (!p.startsWith(dir.normalize()) || !Files.isRegularFile(p))
            throw new ModelLoadException("archive " + dir + " names '" + name + "' but has no such file");
    }

    /**
     * Writes an archive: the manifest, the backbone files (when {@code backboneDir} is not null:
     * model.onnx, tokenizer.json, config.json if present) and the head files. {@code out} ending in
     * {@code .mar} or {@code .zip} gives a zip, anything else a directory.
     */
    public static void write(Manifest manifest, Path backboneDir, Map<String, Path> headFiles, Path out) {
        Map<String, Path> files = new LinkedHashMap<>();
        if (backboneDir != null) {
            files.put("model.onnx", backboneDir.resolve("model.onnx"));
            files.put("tokenizer.json", backboneDir.resolve("tokenizer.json"));
            if (Files.isRegularFile(backboneDir.resolve("config.json"))) files.put("config.json", backboneDir.resolve("config.json"));
            // the sentence-transformers pooling choice travels with the model (a [CLS]-pooled model must not be mean-pooled)
            Path pooling = backboneDir.resolve("1_Pooling").resolve("config.json");
            if (Files.isRegularFile(pooling)) files.put("1_Pooling/config.json", pooling);
        }
        files.putAll(headFiles);
        for (var e : files.entrySet())
            if (!Files.isRegularFile(e.getValue())) throw new ModelLoadException("cannot archive " + e.getKey() + ": no file " + e.getValue());
        byte[] manifestBytes;
        try {
            manifestBytes = JSON.writeValueAsBytes(toJson(manifest));
            Path abs = out.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            if (out.toString().endsWith(".mar") || out.toString().endsWith(".zip")) {
                AtomicFiles.write(out, os -> {
                    ZipOutputStream zip = new ZipOutputStream(os);
                    putEntry(zip, MANIFEST, manifestBytes);
                    for (var e : files.entrySet()) {
                        ZipEntry ze = new ZipEntry(e.getKey());
                        ze.setTime(0); // same inputs, same bytes
                        zip.putNextEntry(ze);
                        Files.copy(e.getValue(), zip);
                        zip.closeEntry();
                    }
                    zip.finish();
                });
            } else {
                Files.createDirectories(out.resolve("MAR-INF"));
                Files.write(out.resolve(MANIFEST), manifestBytes);
                for (var e : files.entrySet()) {
                    Path dst = out.resolve(e.getKey());
                    Files.createDirectories(dst.getParent());
                    Files.copy(e.getValue(), dst, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write archive " + out + ": " + e.getMessage(), e);
        }
    }

    private static void putEntry(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        ZipEntry ze = new ZipEntry(name);
        ze.setTime(0);
        zip.putNextEntry(ze);
        zip.write(bytes);
        zip.closeEntry();
    }

    static ObjectNode toJson(Manifest m) {
        ObjectNode root = JSON.createObjectNode();
        root.put("modelName", m.modelName());
        root.put("modelVersion", m.modelVersion());
        root.put("task", m.task());
        root.put("handler", m.handler());
        root.put("backbone", m.backbone());
        m.heads().forEach(root.putArray("heads")::add);
        root.put("maxLength", m.maxLength());
        root.set("batching", JSON.valueToTree(new TreeMap<>(m.batching())));
        m.extra().forEach(root::set);
        return root;
    }

    /** Hex SHA-256 of a file. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int r;
            while ((r = in.read(buf)) > 0) md.update(buf, 0, r);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
