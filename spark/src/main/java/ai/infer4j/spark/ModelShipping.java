package ai.infer4j.spark;

import ai.infer4j.engine.Engine;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkFiles;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How a model file reaches the executors of a cluster without a shared disk: it is one of the application's
 * {@code spark.files} (what {@code spark-submit --files} sets), which every executor fetches from the driver into
 * its own SparkFiles directory when it starts, and the options the executors get name it as
 * {@code sparkfiles:<file name>}. Built-in models travel inside the application jar; in local mode nothing needs
 * shipping. (A file added later with {@code SparkContext.addFile} would not do: Spark 4 jobs run with their
 * session's own artifact set and never fetch it.)
 */
final class ModelShipping {
    /** Marks a model reference that the executors resolve with {@link SparkFiles#get}. */
    static final String SHIPPED = "sparkfiles:";

    private ModelShipping() {
    }

    /** True when {@code master} runs executors outside this JVM (null: spark-submit decides, so ask its property). */
    static boolean cluster(String master) {
        String m = master != null ? master : System.getProperty("spark.master", "local[*]");
        return !m.startsWith("local");
    }

    /** {@code spark.files} for a session that will run {@code o}: the model file added to {@code current} (may be null). */
    static String files(BatchOptions o, String current) {
        String ref = o.model();
        if (!ref.contains("://")) {
            Path p = Path.of(ref);
            if (!Files.isRegularFile(p)) return current; // a built-in name (in the jar), or a directory (refused by ship)
            ref = p.toAbsolutePath().toString();
        }
        return current == null || current.isBlank() ? ref : current + "," + ref;
    }

    /** On a cluster, the options naming the shipped copy of the model file; refuses a file that was not shipped. */
    static BatchOptions ship(SparkContext sc, BatchOptions o) {
        String ref = o.model();
        if (sc.isLocal() || ref.startsWith(SHIPPED)) return o;
        boolean uri = ref.contains("://");
        if (!uri && !Files.exists(Path.of(ref))) return o; // a built-in name, or spark-submit --files NAME shipped it (resolved on the executors)
        if (!uri && Files.isDirectory(Path.of(ref)))
            throw new IllegalArgumentException("model " + ref + " is a directory; on a cluster the model must be one file Spark can ship: "
                    + "pack it with 'infer4j archive' into a .mar");
        String name = ref.substring(ref.replace('\\', '/').lastIndexOf('/') + 1);
        for (String f : scala.jdk.javaapi.CollectionConverters.asJava(sc.listFiles()))
            if (f.endsWith("/" + name)) return o.withModel(SHIPPED + name);
        throw new IllegalArgumentException("model " + ref + " is not among this application's files, so the executors cannot read it; "
                + "submit with --files " + ref + " (infer4j batch does that itself)");
    }

    /** The local path of a shipped model in this JVM, or {@code ref} unchanged (a built-in name or a path on this machine). */
    static String resolve(String ref) {
        if (ref.startsWith(SHIPPED)) return SparkFiles.get(ref.substring(SHIPPED.length()));
        if (Engine.BUILTIN_MODELS.contains(ref) || Files.exists(Path.of(ref))) return ref;
        // spark-submit --files model.mar ... --model model.mar: Spark put the file into this JVM's SparkFiles directory
        Path shipped = Path.of(SparkFiles.get(Path.of(ref).getFileName().toString()));
        return Files.exists(shipped) ? shipped.toString() : ref;
    }
}
