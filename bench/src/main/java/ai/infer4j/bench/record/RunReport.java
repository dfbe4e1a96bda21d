package ai.infer4j.bench.record;

import org.HdrHistogram.Histogram;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Writes a run directory's summary, CSV, distribution and HTML report (charts embedded, viewable offline). */
public final class RunReport {
    private RunReport() {
    }

    /** Writes every file but the histogram log (which the run writes as it goes). */
    public static void write(Path dir, String loadDescription, RunSummary s, List<IntervalRow> rows, Histogram micros) {
        RunFiles.writeCsv(dir.resolve(RunFiles.CSV), rows);
        RunFiles.writeSummary(dir.resolve(RunFiles.SUMMARY), s);
        RunFiles.writeDistribution(dir.resolve(RunFiles.HGRM), micros);
        RunFiles.write(dir.resolve(RunFiles.HTML), html(loadDescription, s, rows, micros));
    }

    static String html(String loadDescription, RunSummary s, List<IntervalRow> rows, Histogram micros) {
        StringBuilder b = new StringBuilder();
        b.append("<p>Target: <b>").append(Html.esc(s.target())).append("</b><br>Load: ").append(Html.esc(loadDescription))
                .append(s.mode().equals("open") ? " &mdash; latency counted from each request's <i>intended</i> send time"
                        : " &mdash; closed loop: latency from the actual send (queueing behind a stall is not seen)")
                .append("</p>\n");
        b.append(s.steady() ? "<p class=\"good\">Steady state reached after " + fmt(s.steadyAtS()) + " s ("
                + SteadyState.WINDOWS + " consecutive intervals within " + (int) (SteadyState.TOLERANCE * 100) + "%).</p>"
                : "<p class=\"warn\">Never reached steady state (" + SteadyState.WINDOWS + " consecutive intervals within "
                + (int) (SteadyState.TOLERANCE * 100) + "%): run longer or at a lower rate before trusting these numbers.</p>");
        b.append(Html.table(List.of("measured s", "sent", "ok", "errors", "throughput/s", "mean ms", "p50 ms", "p90 ms", "p99 ms",
                "p99.9 ms", "max ms"), List.of(List.of(fmt(s.durationS()), "" + s.sent(), "" + s.ok(), "" + s.errorCount(),
                fmt(s.throughputRps()), fmt(s.meanMs()), fmt(s.p50Ms()), fmt(s.p90Ms()), fmt(s.p99Ms()), fmt(s.p999Ms()), fmt(s.maxMs())))));
        if (s.errorCount() > 0) {
            List<List<String>> er = new ArrayList<>();
            s.errors().forEach((k, v) -> {
                if (v > 0) er.add(List.of(k, "" + v));
            });
            b.append("<h3>Errors by kind</h3>").append(Html.table(List.of("kind", "count"), er));
        }
        b.append("<h2>Latency over time</h2>").append(Charts.img("Latency per interval", "seconds", "ms", Charts.percentiles("", rows), false));
        b.append("<h2>Throughput over time</h2>").append(Charts.img("Throughput per interval", "seconds", "requests/s",
                List.of(Charts.overTime("ok/s", rows, IntervalRow::throughputRps),
                        Charts.overTime("sent/s", rows, r -> r.intervalS() > 0 ? r.sent() / r.intervalS() : 0)), false));
        b.append("<h2>Latency distribution</h2>").append(Charts.img("Latency by percentile (10 = p90, 100 = p99, 1000 = p99.9)",
                "1/(1-percentile)", "ms", List.of(Charts.distribution("all served", micros)), true));
        List<Charts.Series> errs = new ArrayList<>();
        for (Outcome o : Outcome.ERRORS)
            if (rows.stream().anyMatch(r -> r.errors(o) > 0)) errs.add(Charts.overTime(o.column(), rows, r -> r.errors(o)));
        b.append("<h2>Errors over time</h2>").append(errs.isEmpty() ? "<p>No errors.</p>"
                : Charts.img("Errors per interval", "seconds", "requests", errs, false));
        b.append("<h2>Intervals</h2><p class=\"note\">Also in <a href=\"").append(RunFiles.CSV).append("\">").append(RunFiles.CSV)
                .append("</a>; HdrHistogram log in <a href=\"").append(RunFiles.HLOG).append("\">").append(RunFiles.HLOG).append("</a>.</p>");
        List<List<String>> t = new ArrayList<>();
        for (IntervalRow r : rows)
            t.add(List.of(fmt(r.timeS()), "" + r.sent(), "" + r.ok(), "" + r.errorCount(), fmt(r.throughputRps()), fmt(r.p50Ms()),
                    fmt(r.p90Ms()), fmt(r.p99Ms()), fmt(r.maxMs())));
        b.append(Html.table(List.of("time s", "sent", "ok", "errors", "ok/s", "p50 ms", "p90 ms", "p99 ms", "max ms"), t));
        return Html.page("infer4j bench", b.toString());
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : Math.abs(v) >= 10 ? "%.1f" : "%.3f", v);
    }
}
