package ai.infer4j.cli;

import ai.infer4j.engine.error.HandlerException;
import ai.infer4j.engine.error.InferenceException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;
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
     * time a starting server does not need to spend. A holder class, so that a plain {@code serve} (read by
     * {@link ServeArgs}, without picocli) does not even link these thirteen constructor references.
     */
    private static final class Subcommands {
        static final Map<String, Supplier<Object>> ALL = new LinkedHashMap<>();

        static {
            ALL.put("serve", ServeCommand::new);
            ALL.put("predict", PredictCommand::new);
            ALL.put("train", TrainCommand::new);
            ALL.put("finetune", FinetuneCommand::new);
            ALL.put("eval", EvalCommand::new);
            ALL.put("archive", ArchiveCommand::new);
            ALL.put("optimize", OptimizeCommand::new);
            ALL.put("bench", BenchCommand::new);
            ALL.put("tune", TuneCommand::new);
            ALL.put("selftest", SelfTestCommand::new);
            ALL.put("smoke", SmokeCommand::new);
            ALL.put("batch", BatchCommand::new);
            ALL.put("monitor", MonitorCommand::new);
        }
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (0 ok, 1 usage or internal error, 2 bad input or model). */
    public static int run(String... args) {
        configureProcess();
        String first = args.length > 0 ? args[0] : "";
        if (first.equals("serve")) {
            ServeCommand serve = ServeArgs.parse(args); // null: help, a mistake or an unusual form, for picocli below
            if (serve != null) {
                ServeCommand.preloadRuntime(serve.config); // the --config that was read, not a scan of its own
                return execute(serve, args);
            }
        }
        CommandLine cl = new CommandLine(new Main());
        if (Subcommands.ALL.containsKey(first)) {
            cl.addSubcommand(first, Subcommands.ALL.get(first).get());
        } else { // help, a typo (picocli suggests the closest name) or no command: all of them
            Subcommands.ALL.forEach((name, command) -> cl.addSubcommand(name, command.get()));
            cl.addSubcommand("help", new CommandLine.HelpCommand());
        }
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> failed(e, cmd.getErr()));
        return cl.execute(args);
    }

    /**
     * Runs {@code serve} as picocli's {@code execute} would have run it after parsing the same arguments: its exit
     * code, a usage mistake found while running reported with the usage help, any other failure through
     * {@link #failed}.
     */
    private static int execute(ServeCommand serve, String[] args) {
        PrintWriter err = new PrintWriter(System.err, true);
        try {
            return serve.call();
        } catch (CommandLine.ParameterException e) {
            try {
                return e.getCommandLine().getParameterExceptionHandler().handleParseException(e, args);
            } catch (Exception handlerFailed) {
                return failed(handlerFailed, err);
            }
        } catch (Exception e) {
            return failed(e, err);
        } finally {
            err.flush();
        }
    }

    /** Reports a command's failure and returns its exit code: 2 for bad input, a bad model or I/O, 1 otherwise. */
    private static int failed(Exception e, PrintWriter err) {
        if (e instanceof InferenceException ie) {
            err.println("error: " + ie.getMessage());
            if (ie instanceof HandlerException && ie.getCause() != null)
                ie.getCause().printStackTrace(err); // the handler's own failure, for its author
            return 2;
        }
        if (e instanceof UncheckedIOException || e instanceof IOException) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        err.println("internal error: " + e);
        if (System.getenv("INFER4J_DEBUG") != null) e.printStackTrace(err);
        else err.println("(set INFER4J_DEBUG=1 for the stack trace)");
        return 1;
    }

    /**
     * Process-wide settings, set once here: DJL's tokenizers stay offline and untracked,
     * slf4j-simple (named as the provider) logs to stderr at WARN unless INFER4J_LOG_LEVEL says otherwise, and Netty's JFR events are off.
     */
    static void configureProcess() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        // the binding we ship, named: slf4j then skips its ServiceLoader scan of every jar's META-INF/services
        setIfAbsent("slf4j.provider", "org.slf4j.simple.SimpleServiceProvider");
        setIfAbsent("slf4j.internal.verbosity", "WARN"); // else a named provider prints an "SLF4J(I): Attempting to load" line
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel",
                System.getenv().getOrDefault("INFER4J_LOG_LEVEL", "warn"));
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl", "error");
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        // Netty's allocator declares JDK Flight Recorder events; the first buffer it allocates (a server's first request)
        // would register them, starting JFR's metadata machinery on that request's path (~5% of a start's CPU). They only
        // report to a running JFR recording; -Dio.netty.jfr.enabled=true brings them back for one.
        setIfAbsent("io.netty.jfr.enabled", "false");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
