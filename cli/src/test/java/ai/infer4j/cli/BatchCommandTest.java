package ai.infer4j.cli;

import ai.infer4j.engine.error.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The second JVM {@code infer4j batch} starts: the job itself in local mode, SparkSubmit of the app jar for a cluster. */
class BatchCommandTest {
    @TempDir
    Path home;

    @Test
    void clusterMasterSubmitsTheApplicationJarWithSparkSubmit() throws IOException {
        Path app = Files.createFile(home.resolve("infer4j-spark-app.jar"));
        List<String> job = List.of("--master", "spark://h:7077", "--model", "duplicate", "--input", "in", "--output", "out");
        List<String> cmd = BatchCommand.command(home, home.resolve("spark-jvm.args"), "spark://h:7077", List.of("spark.executor.memory=2g"), job);
        assertThat(cmd).containsSubsequence(BatchCommand.SUBMIT, "--master", "spark://h:7077", "--class", BatchCommand.MAIN,
                "--conf", "spark.executor.memory=2g", app.toString(), "--model", "duplicate");
        assertThat(cmd.subList(cmd.indexOf(app.toString()) + 1, cmd.size())).isEqualTo(job);
    }

    @Test
    void localMasterRunsTheJobInTheSecondJvmWithSparkSettingsAsProperties() {
        List<String> job = List.of("--master", "local[2]", "--input", "in", "--output", "out");
        List<String> cmd = BatchCommand.command(home, home.resolve("spark-jvm.args"), "local[2]", List.of("spark.sql.shuffle.partitions=4"), job);
        assertThat(cmd).doesNotContain(BatchCommand.SUBMIT).contains("-Dspark.sql.shuffle.partitions=4", BatchCommand.MAIN);
        assertThat(BatchCommand.command(home, home.resolve("a"), null, List.of(), job)).contains(BatchCommand.MAIN);
    }

    @Test
    void clusterWithoutTheApplicationJarSaysHowToBuildIt() {
        assertThatThrownBy(() -> BatchCommand.command(home, home.resolve("a"), "yarn", List.of(), List.of()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("mvn -B -DskipTests package");
    }
}
