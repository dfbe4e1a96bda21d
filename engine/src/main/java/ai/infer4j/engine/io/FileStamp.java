package ai.infer4j.engine.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A file's stat data (size, modification and status-change times in nanoseconds, device, inode), to remember something
 * derived from the file's bytes (a checksum, the head read from it) in a note that is trusted only while the file's
 * stamp is the same, as build tools and git trust a file's stat data. No write can leave the status-change time (ctime)
 * as it was: the kernel sets it to the current time and no call sets it back. A note must be written only for a file
 * whose last change ({@link #changedMillis}) was {@link #SETTLED_MILLIS} or more before its bytes were read, and whose
 * stamp did not change while they were read: a later write then gets a later ctime even on file systems with coarse
 * timestamps (a write in the same clock tick as the one before cannot go unseen).
 *
 * @param text          the file's path and stat data, as a note's first lines
 * @param changedMillis the later of the file's two change times
 */
public record FileStamp(String text, long changedMillis) {
    /** How long a file must have been left alone before a note about its bytes may be written. */
    public static final long SETTLED_MILLIS = 2_000;

    /** The file's stamp, or null without the {@code unix} attribute view (Windows: nothing is remembered). */
    public static FileStamp of(Path file) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(file, "unix:size,lastModifiedTime,ctime,dev,ino");
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
        FileTime modified = (FileTime) a.get("lastModifiedTime"), changed = (FileTime) a.get("ctime");
        String text = file + "\n" + a.get("size") + " " + modified.to(TimeUnit.NANOSECONDS) + " "
                + changed.to(TimeUnit.NANOSECONDS) + " " + a.get("dev") + " " + a.get("ino") + "\n";
        return new FileStamp(text, Math.max(modified.toMillis(), changed.toMillis()));
    }

    /** Whether the file was left alone long enough before {@code readBeganMillis} for a note about what was read then. */
    public boolean settledBefore(long readBeganMillis, long settledMillis) {
        return changedMillis <= readBeganMillis - settledMillis;
    }

    /**
     * The value in {@code note} if it was written by {@link #writeNote} with the same {@code kind} for this very stamp,
     * else null (also when the note is missing or unreadable).
     */
    public String readNote(Path note, String kind) {
        try {
            String s = Files.readString(note, StandardCharsets.UTF_8);
            String head = kind + "\n" + text;
            if (!s.startsWith(head) || !s.endsWith("\n") || s.length() == head.length() + 1) return null;
            String value = s.substring(head.length(), s.length() - 1);
            return value.indexOf('\n') >= 0 ? null : value;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Writes {@code value} (one line) into {@code note} for this stamp (atomically). */
    public void writeNote(Path note, String kind, String value) throws IOException {
        if (value.isEmpty() || value.indexOf('\n') >= 0) throw new IllegalArgumentException("a note's value is one non-empty line");
        String s = kind + "\n" + text + value + "\n";
        AtomicFiles.write(note, out -> out.write(s.getBytes(StandardCharsets.UTF_8)));
    }
}
