package ai.infer4j.engine.task;

import ai.infer4j.engine.io.AtomicFiles;
import ai.infer4j.engine.io.FileStamp;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ai.infer4j.engine.error.ModelLoadException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.HexFormat;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Binary copies of head JSON files in the engine cache ({@code CACHE/heads}), so that a start does not parse ~1.4 MB
 * of decimal numbers again (the built-in {@code intent} head: ~0.2 s of interpreted Java, and much of a start's JIT
 * work). The JSON stays the source of truth: a copy is named after the JSON's size and CRC32 (a changed head gets a
 * new copy) and holds the JSON's bytes themselves, compared with the head's JSON before the copy is used: two heads
 * of the same size and CRC32 share a name, and a checksum alone would then serve the wrong one (a SHA-256 name would
 * cost ~35 ms of a start's CPU, hashing interpreted; the comparison costs a few ms). Then the JSON's own tree, with
 * every array of floating-point numbers (outside {@code training}) moved into a block of doubles. These are the very
 * doubles the JSON parser produced, so the tree read back {@link JsonNode#equals equals} the parsed one and the head
 * built from it is the same head, bit for bit (and writes the same bytes). A copy that cannot be read is deleted and
 * the JSON is parsed instead; a copy of another head is replaced; a cache that cannot be written only costs the parse.
 */
final class HeadCache {
    private static final Logger log = LoggerFactory.getLogger(HeadCache.class);
    private static final byte[] MAGIC = "infer4j-head-bin/2\n".getBytes(StandardCharsets.US_ASCII);
    /** Placeholder key in the copy's JSON part: {@code {"@infer4j-packed": i}} stands for the i-th packed array. */
    static final String PACKED = "@infer4j-packed";
    /** Shorter arrays stay in the JSON part. */
    private static final int MIN_PACKED = 8;
    /** Copies not read for this many days are deleted when a new one is written. */
    private static final int UNUSED_DAYS = 30;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Kind of the notes that name the format-3 copy of a head file (or jar entry) while its stamp is unchanged. */
    static final String NOTE_KIND = "infer4j-head-note/1";
    private static final java.util.regex.Pattern SHA256_HEX = java.util.regex.Pattern.compile("[0-9a-f]{64}");

    private HeadCache() {
    }

    /**
     * The head in {@code file} (with {@code entry}: that entry of the zip/jar {@code file}, e.g. a built-in head in the
     * engine jar), without reading its JSON when a note under {@code cacheDir/heads/notes} says which head it holds:
     * a note maps the file's {@link FileStamp} (size, both change times, device, inode) and the entry to the SHA-256 of
     * the JSON, and {@code cacheDir/heads/SHA256.v3.bin} holds that head as built ({@link BuiltHeadCopy}, softmax heads
     * only). A changed file has another stamp, so its note is not used: its JSON is read and checked through
     * {@link #read(byte[], String, Path)} as before. A note (and the copy) is written only when the file had been left
     * alone {@code settledMillis} before its bytes were read and its stamp did not change while they were read (see
     * {@link FileStamp}); the copy is named by the SHA-256 of the very bytes read, so no checksum collision can pick the
     * wrong copy either.
     */
    static Head read(Path file, String entry, String source, Path cacheDir, long settledMillis) {
        Path heads = cacheDir.resolve("heads");
        FileStamp stamp = null;
        Path note = null;
        String kind = NOTE_KIND + "\n" + (entry == null ? "" : entry);
        try {
            stamp = FileStamp.of(file);
            note = notePath(file, entry, cacheDir);
        } catch (IOException | RuntimeException e) {
            log.debug("head {} has no stamp ({}); reading its JSON", source, e.toString());
        }
        if (stamp != null) {
            String sha = stamp.readNote(note, kind);
            if (sha != null && SHA256_HEX.matcher(sha).matches()) {
                Head head = readBuilt(heads.resolve(sha + ".v3.bin"), sha, source);
                if (head != null) {
                    touch(note);
                    return head;
                }
            }
        }
        long began = System.currentTimeMillis();
        byte[] json = bytes(file, entry, source);
        Head head = read(json, source, cacheDir);
        try {
            if (stamp != null && head instanceof SoftmaxHead s && stamp.settledBefore(began, settledMillis)
                    && stamp.equals(FileStamp.of(file))) {
                byte[] sha = sha256(json);
                Path copy = heads.resolve(hex(sha) + ".v3.bin");
                if (readBuilt(copy, hex(sha), source) == null) {
                    byte[] built = BuiltHeadCopy.write(s, sha);
                    AtomicFiles.write(copy, out -> out.write(built));
                }
                stamp.writeNote(note, kind, hex(sha));
                pruneUnused(heads);
            }
        } catch (IOException | RuntimeException e) {
            log.debug("head {} not remembered: {}", source, e.toString());
        }
        return head;
    }

    /** Where the note about {@code file} (and {@code entry}, or null) lives. */
    static Path notePath(Path file, String entry, Path cacheDir) {
        String id = file + "!/" + (entry == null ? "" : entry);
        return cacheDir.resolve("heads").resolve("notes").resolve(hex(sha256(id.getBytes(StandardCharsets.UTF_8))).substring(0, 32) + ".note");
    }

    /** The head in a format-3 copy built from the JSON whose SHA-256 is {@code sha}, or null (missing, other, bad). */
    private static Head readBuilt(Path copy, String sha, String source) {
        if (!Files.isRegularFile(copy)) return null;
        try {
            Head head = BuiltHeadCopy.read(Files.readAllBytes(copy), HexFormat.of().parseHex(sha));
            if (head != null) touch(copy);
            return head;
        } catch (IOException | RuntimeException e) {
            log.warn("head cache {} unreadable ({}); reading {}", copy, e.toString(), source);
            deleteQuietly(copy);
            return null;
        }
    }

    private static byte[] bytes(Path file, String entry, String source) {
        try {
            if (entry == null) return Files.readAllBytes(file);
            try (ZipFile zip = new ZipFile(file.toFile())) {
                ZipEntry e = zip.getEntry(entry);
                if (e == null) throw new ModelLoadException("head " + source + " is missing from " + file);
                try (var in = zip.getInputStream(e)) {
                    return in.readAllBytes();
                }
            }
        } catch (IOException e) {
            throw new ModelLoadException("cannot read head " + source + ": " + e.getMessage(), e);
        }
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JDK", e);
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** The head in {@code json}, read from its binary copy under {@code cacheDir} (written on first use). */
    static Head read(byte[] json, String source, Path cacheDir) {
        Path copy = copyPath(json, cacheDir);
        if (Files.isRegularFile(copy)) {
            try {
                JsonNode tree = unpack(Files.readAllBytes(copy), json);
                if (tree != null) {
                    Head head = HeadFiles.fromTree(tree, source);
                    touch(copy);
                    return head;
                }
                log.debug("head cache {} holds another head of the same size and CRC32; replacing it with {}", copy, source);
            } catch (IOException | RuntimeException e) {
                log.warn("head cache {} unreadable ({}); parsing {}", copy, e.toString(), source);
                deleteQuietly(copy);
            }
        }
        JsonNode root = HeadFiles.parse(json, source);
        Head head = HeadFiles.fromTree(root, source); // only a valid head is cached
        try {
            byte[] packed = pack(root, json);
            AtomicFiles.write(copy, out -> out.write(packed));
            pruneUnused(copy.getParent());
        } catch (IOException | RuntimeException e) {
            log.debug("head cache not written for {}: {}", source, e.toString());
        }
        return head;
    }

    /**
     * Where the copy of {@code json} lives: {@code cacheDir/heads/SIZE-CRC32.v2.bin} (copies of the first format,
     * {@code .v1.bin}, which held no JSON to compare, are never read again and are pruned once unused for
     * {@link #UNUSED_DAYS} days).
     */
    static Path copyPath(byte[] json, Path cacheDir) {
        CRC32 crc = new CRC32(); // native zlib: ~1 ms for the intent head even before any JIT
        crc.update(json);
        return cacheDir.resolve("heads").resolve(json.length + "-" + Long.toHexString(crc.getValue()) + ".v2.bin");
    }

    /**
     * The copy's bytes: magic, the head's JSON bytes ({@code json}, which {@code root} was parsed from), the tree as
     * JSON with placeholders, the packed arrays' lengths, their doubles.
     */
    static byte[] pack(JsonNode root, byte[] json) throws IOException {
        List<double[]> arrays = new ArrayList<>();
        JsonNode meta = packed(root.deepCopy(), arrays, true);
        byte[] metaBytes = JSON.writeValueAsBytes(meta);
        long doubles = arrays.stream().mapToLong(a -> a.length).sum();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) (64 + json.length + metaBytes.length + 4L * arrays.size() + 8 * doubles));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeInt(json.length);
            out.write(json);
            out.writeInt(metaBytes.length);
            out.write(metaBytes);
            out.writeInt(arrays.size());
            for (double[] a : arrays) out.writeInt(a.length);
            ByteBuffer block = ByteBuffer.allocate(Math.toIntExact(8 * doubles));
            DoubleBuffer d = block.asDoubleBuffer();
            for (double[] a : arrays) d.put(a);
            out.write(block.array());
        }
        return bytes.toByteArray();
    }

    /** The tree {@link #pack} was given, or null when {@code copy} was packed from other JSON than {@code json}. */
    static JsonNode unpack(byte[] copy, byte[] json) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(copy);
        if (copy.length < MAGIC.length + 4 || !Arrays.equals(copy, 0, MAGIC.length, MAGIC, 0, MAGIC.length))
            throw new IOException("not an infer4j head copy");
        in.position(MAGIC.length);
        int jsonLength = in.getInt();
        if (jsonLength != json.length || !Arrays.equals(copy, in.position(), in.position() + jsonLength, json, 0, jsonLength))
            return null;
        in.position(in.position() + jsonLength);
        byte[] metaBytes = new byte[in.getInt()];
        in.get(metaBytes);
        JsonNode meta = JSON.readTree(metaBytes);
        int n = in.getInt();
        if (n < 0 || n > in.remaining() / 4) throw new IOException("bad array count " + n);
        int[] lengths = new int[n];
        long doubles = 0;
        for (int i = 0; i < n; i++) doubles += lengths[i] = in.getInt();
        if (in.remaining() != 8 * doubles) throw new IOException("size mismatch: " + in.remaining() + " bytes for " + doubles + " doubles");
        DoubleBuffer d = in.asDoubleBuffer();
        List<double[]> arrays = new ArrayList<>(n);
        for (int len : lengths) {
            double[] a = new double[len];
            d.get(a);
            arrays.add(a);
        }
        int[] next = {0};
        JsonNode tree = unpacked(meta, arrays, next);
        if (next[0] != n) throw new IOException("uses " + next[0] + " of " + n + " packed arrays");
        return tree;
    }

    /** {@code node} with its packable arrays moved to {@code arrays} ({@code top}: skip the head's {@code training}). */
    private static JsonNode packed(JsonNode node, List<double[]> arrays, boolean top) {
        if (packable(node)) {
            double[] a = new double[node.size()];
            for (int i = 0; i < a.length; i++) a[i] = node.get(i).doubleValue();
            arrays.add(a);
            return JsonNodeFactory.instance.objectNode().put(PACKED, arrays.size() - 1);
        }
        if (node instanceof ObjectNode o) {
            if (o.has(PACKED)) throw new IllegalArgumentException("the head itself has a '" + PACKED + "' key: not cached");
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!(top && e.getKey().equals("training"))) e.setValue(packed(e.getValue(), arrays, false));
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) a.set(i, packed(a.get(i), arrays, false));
        }
        return node;
    }

    private static boolean packable(JsonNode node) {
        if (!node.isArray() || node.size() < MIN_PACKED) return false;
        for (JsonNode e : node) if (!e.isDouble()) return false;
        return true;
    }

    private static JsonNode unpacked(JsonNode node, List<double[]> arrays, int[] next) throws IOException {
        if (node instanceof ObjectNode o && o.size() == 1 && o.has(PACKED)) {
            int i = o.get(PACKED).asInt(-1);
            if (i != next[0]) throw new IOException("packed array " + i + " out of order (expected " + next[0] + ")");
            next[0]++;
            double[] values = arrays.get(i);
            ArrayNode a = JsonNodeFactory.instance.arrayNode(values.length);
            for (double v : values) a.add(v);
            return a;
        }
        if (node instanceof ObjectNode o) {
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                e.setValue(unpacked(e.getValue(), arrays, next));
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) a.set(i, unpacked(a.get(i), arrays, next));
        }
        return node;
    }

    /** Copies and notes not used for {@link #UNUSED_DAYS} days are deleted (both are touched when used). */
    private static void pruneUnused(Path dir) {
        long cutoff = System.currentTimeMillis() - UNUSED_DAYS * 86_400_000L;
        for (Path d : List.of(dir, dir.resolve("notes"))) {
            if (!Files.isDirectory(d)) continue;
            try (var files = Files.list(d)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    String n = p.getFileName().toString();
                    if ((n.endsWith(".bin") || n.endsWith(".note")) && Files.getLastModifiedTime(p).toMillis() < cutoff) deleteQuietly(p);
                }
            } catch (IOException e) {
                log.debug("head cache not pruned: {}", e.toString());
            }
        }
    }

    private static void touch(Path p) {
        try {
            Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis()));
        } catch (IOException ignored) {
            // read-only cache: still usable, just never pruned
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the next write replaces it
        }
    }
}
