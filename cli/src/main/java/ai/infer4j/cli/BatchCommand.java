package ai.infer4j.cli;

import ai.infer4j.engine.BadInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Runs the Spark batch job in a second JVM from the {@code spark} module's own jar and lib directory,
 * so Spark never lands on this (serving) class path. All arguments go to {@code SparkScorer}.
 */
@Command(name = "batch",
        description = {"Score pairs (or texts, --task classify) on Apache Spark: infer4j batch --model duplicate "
                + "--input pairs.{parquet,jsonl,csv} --output out.parquet [--master local[*]]",
                "Runs spark/target/infer4j-spark.jar in a second JVM; 'infer4j batch --help' lists its options.",
                "Env: INFER4J_SPARK_HOME (the spark module's target dir), INFER4J_SPARK_JAVA_OPTS (e.g. -Xmx8g)."})
final class BatchCommand implements Callable<Integer> {
    static final String MAIN = "ai.infer4j.spark.SparkScorer";

    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Path home = sparkHome();
        Path jar = home.resolve("infer4j-spark.jar"), lib = home.resolve("lib"), jvmArgs = home.resolve("spark-jvm.args");
        if (!Files.isRegularFile(jar) || !Files.isDirectory(lib) || !Files.isRegularFile(jvmArgs))
            throw new BadInputException("the Spark job is not built in " + home + " (expected infer4j-spark.jar, lib/ and spark-jvm.args); "
                    + "run: mvn -B -DskipTests package");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("@" + jvmArgs);
        String opts = System.getenv("INFER4J_SPARK_JAVA_OPTS");
        if (opts != null && !opts.isBlank()) cmd.addAll(List.of(opts.trim().split("\\s+")));
        cmd.add("-cp");
        cmd.add(jar + File.pathSeparator + lib.resolve("*"));
        cmd.add(MAIN);
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /** {@code INFER4J_SPARK_HOME}, or {@code spark/target} beside this jar's {@code cli/target}. */
    static Path sparkHome() throws URISyntaxException {
        String env = System.getenv("INFER4J_SPARK_HOME");
        if (env != null && !env.isBlank()) return Path.of(env);
        Path here = Path.of(BatchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        // cli/target/infer4j.jar (or cli/target/classes) -> <repo>/spark/target
        Path repo = here.getParent().getParent().getParent();
        return repo.resolve("spark").resolve("target");
    }
}
