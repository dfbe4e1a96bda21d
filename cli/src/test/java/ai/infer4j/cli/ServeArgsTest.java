package ai.infer4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ServeArgsTest {
    /** Every field a {@code serve} command line can set. */
    private static List<Object> fields(ServeCommand c) {
        BatchFlags b = c.batching;
        return Arrays.asList(c.config, c.inferenceAddress, c.managementAddress, c.metricsAddress, c.models, c.modelStore,
                c.pluginsDir, c.captureDir, c.capturePercent, c.authTokenFile, c.grpcAddress, c.precision,
                b.workers, b.threads, b.batchSize, b.maxBatchDelayMs, b.queueSize);
    }

    private static ServeCommand picocli(String... args) {
        ServeCommand c = new ServeCommand();
        new CommandLine(c).parseArgs(Arrays.copyOfRange(args, 1, args.length));
        return c;
    }

    @Test
    void plainCommandLinesGiveTheFieldsPicocliGives() {
        List<String[]> lines = List.of(
                new String[] {"serve"},
                new String[] {"serve", "--models", "intent=intent", "--inference-address", "127.0.0.1:9"},
                new String[] {"serve", "--models=a=intent,b=duplicate", "--models", "c=x.mar", "--capture-percent", "5,m=10.5",
                        "--capture-percent=n=0", "--capture-dir", "cap"},
                new String[] {"serve", "--config", "c.properties", "--model-store", "store", "--plugins-dir", "plugins",
                        "--auth-token-file", "tok", "--grpc-address", "off", "--precision", "int8",
                        "--management-address", "0.0.0.0:1", "--metrics-address=127.0.0.1:2"},
                new String[] {"serve", "--workers", "2", "--threads=1", "--batch-size", "8", "--max-batch-delay-ms", "0",
                        "--queue-size", "0064"},
                new String[] {"serve", "--config==odd name.properties", "--inference-address", "[::1]:8080"});
        for (String[] line : lines) {
            ServeCommand fast = ServeArgs.parse(line);
            assertThat(fast).as(String.join(" ", line)).isNotNull();
            assertThat(fields(fast)).as(String.join(" ", line)).isEqualTo(fields(picocli(line)));
        }
        assertThat(fields(ServeArgs.parse(new String[] {"serve", "--workers", "3"})).get(12)).isEqualTo(3);
    }

    @Test
    void helpMistakesAndUnusualFormsAreLeftToPicocli() {
        List<String[]> lines = List.of(
                new String[] {"serve", "--help"}, new String[] {"serve", "-h"}, new String[] {"serve", "-V"},
                new String[] {"serve", "--version"}, new String[] {"serve", "--workers"}, new String[] {"serve", "--workers", "two"},
                new String[] {"serve", "--workers", "+2"}, new String[] {"serve", "--workers", "-1"},
                new String[] {"serve", "--workers", "99999999999"}, new String[] {"serve", "--config", "a", "--config", "b"},
                new String[] {"serve", "--modles", "x"}, new String[] {"serve", "extra"}, new String[] {"serve", "@args.txt"},
                new String[] {"serve", "--capture-percent", "lots"}, new String[] {"serve", "--models", ""},
                new String[] {"serve", "--models", "a,,b"}, new String[] {"serve", "--models", "a,"},
                new String[] {"serve", "--models", "\"a,b\""}, new String[] {"serve", "--config", "--models"},
                new String[] {"serve", "--models="}, new String[] {"predict", "hi"});
        for (String[] line : lines) assertThat(ServeArgs.parse(line)).as(String.join(" ", line)).isNull();
    }

    @Test
    void aFailureReadsTheSameWithOrWithoutPicocli(@TempDir Path dir) {
        String missing = dir.resolve("nope.properties").toString();
        CliTest.Run fast = CliTest.run("serve", "--config", missing, "--workers", "1");
        CliTest.Run picocli = CliTest.run("serve", "--config", missing, "--workers", "+1"); // a sign: only picocli reads it
        assertThat(fast).isEqualTo(picocli);
        assertThat(fast.code()).isNotZero();
        assertThat(fast.err()).contains("nope.properties");
    }

    @Test
    void helpAndUsageErrorsStillComeFromPicocli() {
        CliTest.Run help = CliTest.run("serve", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Usage: infer4j serve").contains("--capture-percent").contains("--workers");
        CliTest.Run typo = CliTest.run("serve", "--workers", "two");
        assertThat(typo.code()).isEqualTo(2);
        assertThat(typo.err()).contains("Invalid value for option '--workers'").contains("Usage: infer4j serve");
        CliTest.Run percent = CliTest.run("serve", "--capture-percent", "lots");
        assertThat(percent.code()).isEqualTo(2);
        assertThat(percent.err()).contains("--capture-percent takes P or MODEL=P");
    }
}
