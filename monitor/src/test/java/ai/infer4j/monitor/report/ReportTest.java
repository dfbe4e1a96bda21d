package ai.infer4j.monitor.report;

import ai.infer4j.monitor.Monitor;
import ai.infer4j.monitor.Synthetic;
import ai.infer4j.monitor.baseline.Constraints;
import ai.infer4j.monitor.capture.CaptureReader;
import ai.infer4j.monitor.capture.Labels;
import ai.infer4j.monitor.capture.Observation;
import ai.infer4j.monitor.drift.CheckResult;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class ReportTest {

    /** Writes observations as capture lines (the writer's format) under capture/toy/1/.... */
    static void capture(Path dir, List<Observation> obs) throws Exception {
        Path f = dir.resolve("toy/1/2023/11/14/22/part-test.jsonl");
        Files.createDirectories(f.getParent());
        ObjectMapper json = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        for (Observation o : obs) {
            var n = json.createObjectNode().put("event_id", o.eventId()).put("time", Instant.ofEpochMilli(o.timeMillis()).toString())
                    .put("model", "toy").put("version", "1");
            n.putObject("input").put("text", "t");
            n.putObject("output").put("label", o.label()).put("score", o.score());
            n.put("tokens", o.tokens()).put("truncated", o.truncated()).put("unknown_tokens", o.unknown());
            var s = n.putArray("sketch");
            for (float v : o.sketch()) s.add(v);
            sb.append(n).append('\n');
        }
        Files.writeString(f, sb);
    }

    @Test
    void checkWritesViolationsAndAnOfflineHtmlReportWithCharts(@TempDir Path tmp) throws Exception {
        Monitor.writeBaseline(Synthetic.baseline(2000, 1), Constraints.defaults(), tmp.resolve("baseline"));
        capture(tmp.resolve("capture"), Synthetic.traffic(300, 1, 9));
        CheckResult r = Monitor.check(tmp.resolve("baseline"), tmp.resolve("capture"), null, null, null, tmp.resolve("out"));

        assertThat(r.alarm()).isTrue();
        JsonNode v = new ObjectMapper().readTree(tmp.resolve("out/violations.json").toFile());
        assertThat(v.get("alarm").asBoolean()).isTrue();
        assertThat(v.get("events").asInt()).isEqualTo(300);
        assertThat(v.get("signals")).hasSize(12);
        String html = Files.readString(tmp.resolve("out/report.html"));
        assertThat(html).contains("ALARM", "class_distribution").doesNotContain("http://", "https://");
        Matcher m = Pattern.compile("data:image/png;base64,([A-Za-z0-9+/=]+)").matcher(html);
        int images = 0;
        while (m.find()) {
            byte[] png = Base64.getDecoder().decode(m.group(1));
            assertThat(png).startsWith(0x89, 'P', 'N', 'G');
            images++;
        }
        assertThat(images).isEqualTo(4);
    }

    @Test
    void labelsJoinByEventIdAndTimeWindowsFilter(@TempDir Path tmp) throws Exception {
        List<Observation> obs = Synthetic.traffic(100, 0, 3);
        capture(tmp.resolve("capture"), obs);
        Path events = tmp.resolve("labels.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 60; i++) sb.append("{\"event_id\":\"").append(obs.get(i).eventId()).append("\",\"label\":\"a\"}\n");
        sb.append("{\"event_id\":\"unknown\",\"label\":\"a\"}\n");
        Files.writeString(events, sb);

        Labels.Joined j = Labels.add(tmp.resolve("capture"), events, Clock.systemUTC());
        assertThat(j.labels()).isEqualTo(61);
        assertThat(j.matched()).isEqualTo(60);
        var read = CaptureReader.read(tmp.resolve("capture"), null, null);
        assertThat(read.observations()).hasSize(100);
        assertThat(read.labelled()).isEqualTo(60);
        Instant from = Instant.ofEpochMilli(obs.get(10).timeMillis()), to = Instant.ofEpochMilli(obs.get(20).timeMillis());
        assertThat(CaptureReader.read(tmp.resolve("capture"), from, to).observations()).hasSize(10);
    }
}
