package ai.infer4j.cli;

import ai.infer4j.bench.stress.SelfTest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Runs the reliability suite against a server it starts itself. */
@Command(name = "selftest", mixinStandardHelpOptions = true,
        description = {"Reliability suite: bad-input fuzzing, overload at 3x saturation, injected faults, drain under load,",
                "and (with --soak) a soak with a model version swap every --swap-every. Writes DIR/summary.json.",
                "Exit code 0 only when nothing was lost and every check passed."})
final class SelfTestCommand implements Callable<Integer> {
    @Option(names = "--bad-requests", description = "generated bad requests (default: ${DEFAULT-VALUE})", defaultValue = "5000")
    int badRequests;

    @Option(names = "--overload", description = "overload phase length (default: ${DEFAULT-VALUE})", defaultValue = "20s")
    String overload;

    @Option(names = "--soak", description = "soak length, 0 to skip (default: ${DEFAULT-VALUE}; the documented soak is 10m)", defaultValue = "0")
    String soak;

    @Option(names = "--swap-every", description = "model version swap period during the soak (default: ${DEFAULT-VALUE})", defaultValue = "60s")
    String swapEvery;

    @Option(names = "--out", description = "output directory (default: ${DEFAULT-VALUE})", defaultValue = "out/selftest")
    Path out;

    @Option(names = "--cache-dir", description = "engine cache (default: ~/.cache/infer4j)")
    Path cacheDir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var plan = new SelfTest.Plan(badRequests, Durations.parse(overload), Durations.parse(soak), Durations.parse(swapEvery), out, cacheDir);
        var err = spec.commandLine().getErr();
        var s = new SelfTest(plan, line -> {
            err.println(line);
            err.flush();
        }).run();
        boolean ok = s.at("/bad_input/failures").asInt() == 0
                && s.at("/bad_input/slow_loris_closed_by_server").asInt() == s.at("/bad_input/slow_loris_connections").asInt()
                && s.at("/overload/server_errors").asLong() == 0
                && s.at("/overload/served_p99_ms").asDouble() <= s.at("/overload/deadline_ms").asDouble() + 100
                && s.at("/faults/default_model_ok_after").asBoolean()
                && s.at("/drain/admitted_but_unanswered").asInt() == 0 && s.at("/drain/server_errors").asLong() == 0
                && (!s.has("soak") || s.at("/soak/errors").asLong() == 0 && s.at("/soak/swap_failures").asInt() == 0);
        spec.commandLine().getOut().println((ok ? "selftest PASSED" : "selftest FAILED") + "; figures in " + out.resolve("summary.json"));
        return ok ? 0 : 1;
    }
}
