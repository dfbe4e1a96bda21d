package ai.infer4j.cli;

import ai.infer4j.engine.error.HandlerException;
import ai.infer4j.engine.error.InferenceException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** The {@code infer4j} command: one entry point with a subcommand per job. */
@Command(name = "infer4j", mixinStandardHelpOptions = true, version = "infer4j 0.1.0",
        description = "Serve, score and monitor BERT-family encoder models on the JVM.")
public final class Main implements Runnable {
    /**
     * The subcommands, in help order. Only the one invoked is built: picocli reads every option of every command it
     * is given by reflection (~0.2 s for all of them, and its classes cannot go into the class-data-sharing archive),
     * time a starting server does not need to spend.
     */
    private static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();

    static {
        SUBCOMMANDS.put("serve", ServeCommand::new);
        SUBCOMMANDS.put("predict", PredictCommand::new);
        SUBCOMMANDS.put("train", TrainCommand::new);
        SUBCOMMANDS.put("eval", EvalCommand::new);
        SUBCOMMANDS.put("archive", ArchiveCommand::new);
        SUBCOMMANDS.put("optimize", OptimizeCommand::new);
        SUBCOMMANDS.put("bench", BenchCommand::new);
        SUBCOMMANDS.put("tune", TuneCommand::new);
        SUBCOMMANDS.put("selftest", SelfTestCommand::new);
        SUBCOMMANDS.put("smoke", SmokeCommand::new);
        SUBCOMMANDS.put("batch", BatchCommand::new);
        SUBCOMMANDS.put("monitor", MonitorCommand::new);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (0 ok, 1 usage or internal error, 2 bad input or model). */
    public static int run(String... args) {
        configureProcess();
        String first = args.length > 0 ? args[0] : "";
        if (first.equals("serve")) ServeCommand.preloadRuntime(args);
        CommandLine cl = new CommandLine(new Main());
        if (SUBCOMMANDS.containsKey(first)) {
            cl.addSubcommand(first, SUBCOMMANDS.get(first).get());
        } else { // help, a typo (picocli suggests the closest name) or no command: all of them
            SUBCOMMANDS.forEach((name, command) -> cl.addSubcommand(name, command.get()));
            cl.addSubcommand("help", new CommandLine.HelpCommand());
        }
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof InferenceException ie) {
                cmd.getErr().println("error: " + ie.getMessage());
                if (ie instanceof HandlerException && ie.getCause() != null)
                    ie.getCause().printStackTrace(cmd.getErr()); // the handler's own failure, for its author
                return 2;
            }
            if (e instanceof UncheckedIOException || e instanceof IOException) {
                cmd.getErr().println("error: " + e.getMessage());
                return 2;
            }
            cmd.getErr().println("internal error: " + e);
            if (System.getenv("INFER4J_DEBUG") != null) e.printStackTrace(cmd.getErr());
            else cmd.getErr().println("(set INFER4J_DEBUG=1 for the stack trace)");
            return 1;
        });
        return cl.execute(args);
    }

    /**
     * Process-wide settings, set once here: DJL's tokenizers stay offline and untracked, and
     * slf4j-simple logs to stderr at WARN unless INFER4J_LOG_LEVEL says otherwise.
     */
    static void configureProcess() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel",
                System.getenv().getOrDefault("INFER4J_LOG_LEVEL", "warn"));
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl", "error");
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
