package ai.infer4j.cli;

import ai.infer4j.cli.CliTest.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code infer4j archive} moves an archive to {@code --out} only once it has loaded. */
class ArchiveCommandTest {
    private static String cache() {
        return Path.of("target", "test-cache").toAbsolutePath().toString();
    }

    /** The embedded MiniLM as an embedding model: no head, nothing to copy, so quick to build and check. */
    private static Run archive(Path out, String version, String... more) {
        String[] base = {"archive", "--cache-dir", cache(), "--name", "vec", "--version", version, "--out", out.toString()};
        String[] args = new String[base.length + more.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return CliTest.run(args);
    }

    private static String manifest(Path archiveDir) throws IOException {
        return Files.readString(archiveDir.resolve("MAR-INF/MANIFEST.json"));
    }

    private static long entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void aMarThatFailsItsCheckIsNotWrittenAndTheOneThereSurvives(@TempDir Path dir) throws IOException {
        Path mar = dir.resolve("vec.mar");
        Run good = archive(mar, "1");
        assertThat(good.code()).as(good.err()).isZero();
        assertThat(good.out()).contains("wrote " + mar).contains("vec/1");
        byte[] before = Files.readAllBytes(mar);

        // an unknown handler is refused when the archive is loaded, after it was written
        Run bad = archive(mar, "2", "--handler", "no-such-handler");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("error:").contains("no-such-handler").doesNotContain("Exception");
        assertThat(Files.readAllBytes(mar)).isEqualTo(before);
        assertThat(entries(dir)).as("nothing left beside it").isEqualTo(1);

        Run fresh = archive(dir.resolve("new.mar"), "1", "--handler", "no-such-handler");
        assertThat(fresh.code()).isEqualTo(2);
        assertThat(dir.resolve("new.mar")).doesNotExist();
        assertThat(entries(dir)).isEqualTo(1);

        Run again = archive(mar, "3");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).contains("vec/3");
        assertThat(Files.readAllBytes(mar)).isNotEqualTo(before);
        assertThat(entries(dir)).isEqualTo(1);
    }

    @Test
    void aDirectoryArchiveIsReplacedWholeOnlyAfterItsCheck(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("vec");
        assertThat(archive(out, "1").code()).isZero();
        Files.writeString(out.resolve("stale.txt"), "from an older build");

        Run bad = archive(out, "2", "--handler", "no-such-handler");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(manifest(out)).contains("\"modelVersion\" : \"1\"");
        assertThat(out.resolve("stale.txt")).exists();
        assertThat(entries(dir)).isEqualTo(1);

        Run good = archive(out, "2");
        assertThat(good.code()).as(good.err()).isZero();
        assertThat(manifest(out)).contains("\"modelVersion\" : \"2\"");
        assertThat(out.resolve("stale.txt")).as("the new archive holds only its own files").doesNotExist();
        assertThat(entries(dir)).isEqualTo(1);
    }

    @Test
    void aDirectoryOfOtherFilesIsNotTakenOver(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("notes.txt"), "mine");
        Run r = archive(dir, "1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("holds other files");
        assertThat(dir.resolve("notes.txt")).exists();
        assertThat(entries(dir)).isEqualTo(1);
    }

    @Test
    void theStagedCopyKeepsTheArchiveSuffix() {
        assertThat(ArchiveCommand.beside(Path.of("/m/a.mar"), ".check-7")).isEqualTo(Path.of("/m/.a.check-7.mar"));
        assertThat(ArchiveCommand.beside(Path.of("/m/a.zip"), ".check-7")).isEqualTo(Path.of("/m/.a.check-7.zip"));
        assertThat(ArchiveCommand.beside(Path.of("/m/a"), ".old-7")).isEqualTo(Path.of("/m/.a.old-7"));
    }
}
