package ai.infer4j.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code serve}'s command line read without picocli, so that a starting server does not spend ~6% of its start-up CPU
 * on picocli's reflective model of the command (its classes are also Java 5 bytecode, slow to load and to link).
 *
 * <p>{@link ServeCommand}'s {@code @Option} fields are the one definition of the options (help, names, types); this
 * class mirrors them in {@link #set}, by hand rather than by reflection, which would add ~2 ms to every start.
 * {@code ServeArgsTest} holds the two together: every option picocli defines must be read here to the same field
 * values as picocli reads it, and every name read here must be one picocli defines, so an option added, renamed or
 * removed in {@link ServeCommand} and not here fails the build (until then it only loses the fast path: a name not
 * read here leaves the line to picocli).
 *
 * <p>Only the plain forms are read here: each option at most once ({@code --models} and {@code --capture-percent} any
 * number of times, comma-separated), as {@code --name value} or {@code --name=value}, with a value that is not empty,
 * does not start with {@code -} or {@code @} and holds no quote; integers as digits. Anything else (help, version,
 * an unknown, repeated or misspelt option, a missing or unusual value, an argument file) gives null and picocli parses
 * the line as before, with its own help text and error messages. Values are checked where both paths check them
 * ({@link ServeCommand#call}, the server's config), so a bad value reads the same on either path.
 */
final class ServeArgs {
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,9}");

    private ServeArgs() {
    }

    /** The command that {@code args} (starting with {@code serve}) describe, or null to leave them to picocli. */
    static ServeCommand parse(String[] args) {
        if (args.length == 0 || !args[0].equals("serve")) return null;
        ServeCommand c = new ServeCommand();
        c.batching = new BatchFlags();
        Set<String> seen = new HashSet<>();
        try {
            for (int i = 1; i < args.length; i++) {
                String a = args[i], name = a, value;
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 2) {
                    name = a.substring(0, eq);
                    value = a.substring(eq + 1);
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    return null; // a missing value, or a lone flag such as --help
                }
                if (!plain(value)) return null;
                boolean list = name.equals("--models") || name.equals("--capture-percent");
                if (!seen.add(name) && !list) return null; // picocli says "should be specified only once"
                if (!set(c, name, value)) return null;
            }
        } catch (NumberFormatException | InvalidPathException e) {
            return null;
        }
        return c;
    }

    private static boolean plain(String value) {
        return !value.isEmpty() && value.charAt(0) != '-' && value.charAt(0) != '@' && value.indexOf('"') < 0
                && value.indexOf('\'') < 0;
    }

    /** Sets option {@code name} of {@code c}; false for a name or value this parser leaves to picocli. */
    private static boolean set(ServeCommand c, String name, String value) {
        switch (name) {
            case "--config" -> c.config = Path.of(value);
            case "--inference-address" -> c.inferenceAddress = value;
            case "--management-address" -> c.managementAddress = value;
            case "--metrics-address" -> c.metricsAddress = value;
            case "--grpc-address" -> c.grpcAddress = value;
            case "--models" -> {
                return (c.models = append(c.models, value)) != null;
            }
            case "--model-store" -> c.modelStore = Path.of(value);
            case "--plugins-dir" -> c.pluginsDir = Path.of(value);
            case "--capture-dir" -> c.captureDir = Path.of(value);
            case "--capture-percent" -> {
                return (c.capturePercent = append(c.capturePercent, value)) != null;
            }
            case "--auth-token-file" -> c.authTokenFile = Path.of(value);
            case "--precision" -> c.precision = value;
            case "--workers" -> c.batching.workers = integer(value);
            case "--threads" -> c.batching.threads = integer(value);
            case "--batch-size" -> c.batching.batchSize = integer(value);
            case "--max-batch-delay-ms" -> c.batching.maxBatchDelayMs = integer(value);
            case "--queue-size" -> c.batching.queueSize = integer(value);
            default -> {
                return false;
            }
        }
        return true;
    }

    /** {@code list} plus the comma-separated parts of {@code value}, or null when a part is empty. */
    private static List<String> append(List<String> list, String value) {
        if (value.startsWith(",") || value.endsWith(",") || value.contains(",,")) return null;
        List<String> out = list == null ? new ArrayList<>() : list;
        out.addAll(List.of(value.split(",")));
        return out;
    }

    private static Integer integer(String value) {
        if (!DIGITS.matcher(value).matches()) throw new NumberFormatException(value);
        return Integer.valueOf(value);
    }
}
