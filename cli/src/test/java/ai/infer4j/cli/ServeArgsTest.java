package ai.infer4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class ServeArgsTest {
    /** {@code serve}'s options as picocli defines them (its help options aside). */
    private static List<OptionSpec> picocliOptions(ServeCommand c) {
        return new CommandLine(c).getCommandSpec().options().stream()
                .filter(o -> !o.usageHelp() && !o.versionHelp()).toList();
    }

    /** Every value a {@code serve} command line set, by option name, read through picocli's model of the command. */
    private static Map<String, Object> fields(ServeCommand c) {
        Map<String, Object> values = new TreeMap<>();
        for (OptionSpec o : picocliOptions(c)) values.put(o.longestName(), o.getValue());
        return values;
    }

    private static ServeCommand picocli(String... args) {
        ServeCommand c = new ServeCommand();
        new CommandLine(c).parseArgs(Arrays.copyOfRange(args, 1, args.length));
        return c;
    }

    @Test
    void theFastParserReadsOnlyOptionsPicocliDefines() throws IOException {
        // the names ServeArgs.set reads, from its source: one that picocli no longer defines (renamed or removed
        // there) would be accepted here and refused by picocli
        String source = Files.readString(Path.of("src/main/java/ai/infer4j/cli/ServeArgs.java"));
        Matcher cases = Pattern.compile("case \"(--[a-z-]+)\"").matcher(source);
        List<String> read = new ArrayList<>();
        while (cases.find()) read.add(cases.group(1));
        assertThat(read).as("options ServeArgs.set reads vs the options ServeCommand defines (its @Option fields are the "
                + "definition: mirror them in ServeArgs.set)")
                .containsExactlyInAnyOrderElementsOf(picocliOptions(new ServeCommand()).stream().map(OptionSpec::longestName).toList());
    }

    @Test
    void everyOptionGivesTheFieldsPicocliGives() {
        for (OptionSpec o : picocliOptions(new ServeCommand())) {
            String name = o.longestName();
            String value = o.type() == Integer.class ? "7" : o.type() == Path.class ? "some dir/x.properties"
                    : o.type() == List.class ? "a=1,b" : "host:9";
            List<String[]> lines = new ArrayList<>(List.of(new String[] {"serve", name, value},
                    new String[] {"serve", name + "=" + value}));
            if (o.type() == List.class) lines.add(new String[] {"serve", name, value, name + "=c"});
            for (String[] line : lines) {
                ServeCommand fast = ServeArgs.parse(line);
                assertThat(fast).as(String.join(" ", line) + ": ServeArgs does not read " + name
                        + ", which ServeCommand defines; mirror it in ServeArgs.set").isNotNull();
                assertThat(fields(fast)).as(String.join(" ", line)).isEqualTo(fields(picocli(line)))
                        .containsKey(name).doesNotContainEntry(name, null);
            }
        }
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
        assertThat(ServeArgs.parse(new String[] {"serve", "--workers", "3"}).batching.workers).isEqualTo(3);
    }

    @Test
    void helpMistakesAndUnusualFormsAreLeftToPicocli() {
        List<String[]> lines = List.of(
                new String[] {"serve", "--help"}, new String[] {"serve", "-h"}, new String[] {"serve", "-V"},
                new String[] {"serve", "--version"}, new String[] {"serve", "--workers"}, new String[] {"serve", "--workers", "two"},
                new String[] {"serve", "--workers", "+2"}, new String[] {"serve", "--workers", "-1"},
                new String[] {"serve", "--workers", "99999999999"}, new String[] {"serve", "--config", "a", "--config", "b"},
                new String[] {"serve", "--modles", "x"}, new String[] {"serve", "extra"}, new String[] {"serve", "@args.txt"},
                new String[] {"serve", "--models", ""},
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
        CliTest.Run fastPercent = CliTest.run("serve", "--capture-percent", "lots", "--workers", "1");
        CliTest.Run picocliPercent = CliTest.run("serve", "--capture-percent", "lots", "--workers", "+1");
        assertThat(fastPercent).isEqualTo(picocliPercent);
        assertThat(fastPercent.code()).isEqualTo(2);
        assertThat(fastPercent.err()).contains("--capture-percent takes P or MODEL=P with P in 0..100, got 'lots'");
    }

    @Test
    void helpAndUsageErrorsStillComeFromPicocli() {
        CliTest.Run help = CliTest.run("serve", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Usage: infer4j serve").contains("--capture-percent").contains("--workers");
        CliTest.Run typo = CliTest.run("serve", "--workers", "two");
        assertThat(typo.code()).isEqualTo(2);
        assertThat(typo.err()).contains("Invalid value for option '--workers'").contains("Usage: infer4j serve");
        CliTest.Run misspelt = CliTest.run("serve", "--modles", "a=intent");
        assertThat(misspelt.code()).isEqualTo(2);
        assertThat(misspelt.err()).contains("Unknown options: '--modles'").contains("Possible solutions: --models");
        CliTest.Run percent = CliTest.run("serve", "--capture-percent", "lots");
        assertThat(percent.code()).isEqualTo(2);
        assertThat(percent.err()).contains("--capture-percent takes P or MODEL=P");
    }
}
