package ai.infer4j.cli;

import ai.infer4j.engine.error.BadInputException;
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
 * so Spark never lands on this (serving) class path. All arguments go to {@code SparkScorer}, except
 * {@code --conf key=value} (Spark settings). With {@code --master spark://…} (or {@code yarn}, {@code k8s://…})
 * the second JVM is Spark's own {@code SparkSubmit}: it submits the self-contained application jar
 * {@code infer4j-spark-app.jar} to the cluster and runs the driver here (client mode).
 */
@Command(name = "batch",
        description = {"Score pairs (or texts, --task classify) on Apache Spark: infer4j batch --model duplicate "
                + "--input pairs.{parquet,jsonl,csv} --output out.parquet [--master local[*]]",
                "Runs spark/target/infer4j-spark.jar in a second JVM; 'infer4j batch --help' lists its options.",
                "--master spark://HOST:7077 (or yarn, k8s://...) submits spark/target/infer4j-spark-app.jar with SparkSubmit; "
                        + "--conf key=value passes a Spark setting (e.g. --conf spark.executor.memory=2g).",
                "Env: INFER4J_SPARK_HOME (the spark module's target dir), INFER4J_SPARK_JAVA_OPTS (e.g. -Xmx8g)."})
final class BatchCommand implements Callable<Integer> {
    static final String MAIN = "ai.infer4j.spark.SparkScorer";
    static final String SUBMIT = "org.apache.spark.deploy.SparkSubmit";

    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Path home = sparkHome();
        Path jar = home.resolve("infer4j-spark.jar"), lib = home.resolve("lib"), jvmArgs = home.resolve("spark-jvm.args");
        if (!Files.isRegularFile(jar) || !Files.isDirectory(lib) || !Files.isRegularFile(jvmArgs))
            throw new BadInputException("the Spark job is not built in " + home + " (expected infer4j-spark.jar, lib/ and spark-jvm.args); "
                    + "run: mvn -B -DskipTests package");
        List<String> conf = new ArrayList<>(), job = new ArrayList<>();
        String master = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--conf") && i + 1 < args.size()) {
                String kv = args.get(++i);
                if (!kv.contains("=")) throw new BadInputException("--conf needs key=value, got '" + kv + "'");
                conf.add(kv);
                continue;
            }
            if (a.equals("--master") && i + 1 < args.size()) master = args.get(i + 1);
            job.add(a);
        }
        List<String> cmd = command(home, jvmArgs, master, conf, job);
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /** The second JVM's command line: the job itself (local mode), or SparkSubmit of the application jar (a cluster). */
    static List<String> command(Path home, Path jvmArgs, String master, List<String> conf, List<String> job) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("@" + jvmArgs);
        String opts = System.getenv("INFER4J_SPARK_JAVA_OPTS");
        if (opts != null && !opts.isBlank()) cmd.addAll(List.of(opts.trim().split("\\s+")));
        if (!cluster(master)) {
            for (String kv : conf) cmd.add("-D" + kv); // SparkConf reads spark.* system properties
            cmd.add("-cp");
            cmd.add(home.resolve("infer4j-spark.jar") + File.pathSeparator + home.resolve("lib").resolve("*"));
            cmd.add(MAIN);
            cmd.addAll(job);
            return cmd;
        }
        Path app = home.resolve("infer4j-spark-app.jar");
        if (!Files.isRegularFile(app))
            throw new BadInputException("no application jar " + app + " to submit to " + master + "; run: mvn -B -DskipTests package");
        cmd.add("-cp");
        cmd.add(home.resolve("lib").resolve("*").toString());
        cmd.add(SUBMIT);
        cmd.addAll(List.of("--master", master, "--deploy-mode", "client", "--class", MAIN, "--name", "infer4j batch"));
        for (String kv : conf) cmd.addAll(List.of("--conf", kv));
        cmd.add(app.toString());
        cmd.addAll(job);
        return cmd;
    }

    /** True for a master that is not this JVM ({@code local}, {@code local[N]}, {@code local[*]} or none). */
    static boolean cluster(String master) {
        return master != null && !master.startsWith("local");
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
