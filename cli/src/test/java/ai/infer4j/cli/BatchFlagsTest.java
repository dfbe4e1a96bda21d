package ai.infer4j.cli;

import ai.infer4j.engine.batch.BatchPolicy;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BatchFlagsTest {
    @Test
    void serveFlagsBecomeTheConfigKeysTheyOverride() {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--workers", "3", "--batch-size", "8", "--max-batch-delay-ms", "0");
        assertThat(serve.batching.keys()).isEqualTo(Map.of("default_workers_per_model", "3", "batch_size", "8", "max_batch_delay", "0"));
        new CommandLine(serve = new ServeCommand()).parseArgs();
        assertThat(serve.batching.keys()).as("a flag not given leaves config.properties in force").isEmpty();
    }

    @Test
    void benchDefaultsAreOneWorkerAndTheEngineBatching() {
        BenchCommand bench = new BenchCommand();
        new CommandLine(bench).parseArgs("--in-process");
        assertThat(bench.batching.workers).isEqualTo(1);
        assertThat(bench.batching.threads).isNull();
        assertThat(bench.batching.policy(BatchPolicy.defaults())).isEqualTo(BatchPolicy.defaults());
        new CommandLine(bench = new BenchCommand()).parseArgs("--in-process", "--queue-size", "4", "--max-batch-delay-ms", "7");
        assertThat(bench.batching.policy(BatchPolicy.defaults())).isEqualTo(new BatchPolicy(32, 8192, Duration.ofMillis(7), 4));
    }

    @Test
    void eachCommandKeepsItsOwnHelpForTheSharedFlags() {
        String bench = new CommandLine(new BenchCommand()).getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertThat(bench).contains("in-process max batch size (default 32)").contains("in-process scheduler workers (default 1)")
                .contains("in-process queue capacity (default 1024)");
        String serve = new CommandLine(new ServeCommand()).getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertThat(serve).contains("max sequences per forward pass").contains("worker threads per backbone").doesNotContain("in-process");
    }
}
