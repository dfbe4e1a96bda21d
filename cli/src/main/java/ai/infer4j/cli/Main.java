package ai.infer4j.cli;

import ai.infer4j.engine.InferenceException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code infer4j} command: one entry point with a subcommand per job. */
@Command(name = "infer4j", mixinStandardHelpOptions = true, version = "infer4j 0.1.0",
        description = "Serve, score and monitor BERT-family encoder models on the JVM.",
        subcommands = {ServeCommand.class, PredictCommand.class, TrainCommand.class, EvalCommand.class, ArchiveCommand.class, OptimizeCommand.class,
                BenchCommand.class, TuneCommand.class, SelfTestCommand.class, SmokeCommand.class, BatchCommand.class, MonitorCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (0 ok, 1 usage or internal error, 2 bad input or model). */
    public static int run(String... args) {
        configureProcess();
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof InferenceException ie) {
                cmd.getErr().println("error: " + ie.getMessage());
                if (ie instanceof ai.infer4j.engine.HandlerException && ie.getCause() != null)
                    ie.getCause().printStackTrace(cmd.getErr()); // the handler's own failure, for its author
                return 2;
            }
            if (e instanceof java.io.UncheckedIOException || e instanceof java.io.IOException) {
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
