package ai.infer4j.bench.record;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Two runs side by side ({@code bench compare a/ b/}): a table of the headline numbers with the change from a to b,
 * and overlaid charts.
 *
 * @param rows one line per metric: name, a, b, change
 */
public record Comparison(String nameA, String nameB, List<List<String>> rows) {

    /** Reads two run directories (each with summary.json and intervals.csv, latency.hlog optional). */
    public static Comparison of(Path a, Path b) {
        RunSummary sa = RunFiles.readSummary(a.resolve(RunFiles.SUMMARY));
        RunSummary sb = RunFiles.readSummary(b.resolve(RunFiles.SUMMARY));
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("target", sa.target(), sb.target(), ""));
        rows.add(List.of("mode", sa.mode(), sb.mode(), ""));
        line(rows, "measured s", sa, sb, RunSummary::durationS);
        line(rows, "sent", sa, sb, s -> s.sent());
        line(rows, "ok", sa, sb, s -> s.ok());
        line(rows, "errors", sa, sb, s -> s.errorCount());
        line(rows, "throughput/s", sa, sb, RunSummary::throughputRps);
        line(rows, "mean ms", sa, sb, RunSummary::meanMs);
        line(rows, "p50 ms", sa, sb, RunSummary::p50Ms);
        line(rows, "p90 ms", sa, sb, RunSummary::p90Ms);
        line(rows, "p99 ms", sa, sb, RunSummary::p99Ms);
        line(rows, "p99.9 ms", sa, sb, RunSummary::p999Ms);
        line(rows, "max ms", sa, sb, RunSummary::maxMs);
        rows.add(List.of("steady", sa.steady() ? "yes" : "no", sb.steady() ? "yes" : "no", ""));
        return new Comparison(a.toString(), b.toString(), rows);
    }

    private static void line(List<List<String>> rows, String name, RunSummary a, RunSummary b, ToDoubleFunction<RunSummary> f) {
        double x = f.applyAsDouble(a);
        double y = f.applyAsDouble(b);
        String change = x == 0 ? "" : String.format(Locale.ROOT, "%+.1f%%", (y - x) / x * 100);
        rows.add(List.of(name, RunReport.fmt(x), RunReport.fmt(y), change));
    }

    /** The table as aligned text for the terminal. */
    public String text() {
        int w0 = 14;
        int w = Math.max(12, Math.min(40, Math.max(nameA.length(), nameB.length())));
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-" + w0 + "s  %" + w + "s  %" + w + "s  %8s%n", "", nameA, nameB, "change"));
        for (List<String> r : rows) {
            sb.append(String.format(Locale.ROOT, "%-" + w0 + "s  %" + w + "s  %" + w + "s  %8s%n", r.get(0), clip(r.get(1), w), clip(r.get(2), w), r.get(3)));
        }
        return sb.toString();
    }

    private static String clip(String s, int w) {
        return s.length() <= w ? s : "…" + s.substring(s.length() - w + 1);
    }

    /** Writes {@code compare.html} with the table and overlaid p99, throughput and distribution charts. */
    public void writeHtml(Path a, Path b, Path out) {
        List<IntervalRow> ra = RunFiles.readCsv(a.resolve(RunFiles.CSV));
        List<IntervalRow> rb = RunFiles.readCsv(b.resolve(RunFiles.CSV));
        StringBuilder h = new StringBuilder("<p>a = " + Html.esc(nameA) + "<br>b = " + Html.esc(nameB) + "</p>");
        h.append(Html.table(List.of("", "a", "b", "b vs a"), rows));
        h.append(Charts.img("p99 per interval", "seconds", "ms", List.of(Charts.overTime("a p99", ra, IntervalRow::p99Ms),
                Charts.overTime("b p99", rb, IntervalRow::p99Ms), Charts.overTime("a p50", ra, IntervalRow::p50Ms),
                Charts.overTime("b p50", rb, IntervalRow::p50Ms)), false));
        h.append(Charts.img("Throughput per interval", "seconds", "ok/s", List.of(Charts.overTime("a", ra, IntervalRow::throughputRps),
                Charts.overTime("b", rb, IntervalRow::throughputRps)), false));
        if (Files.exists(a.resolve(RunFiles.HLOG)) && Files.exists(b.resolve(RunFiles.HLOG)))
            h.append(Charts.img("Latency by percentile (10 = p90, 100 = p99)", "1/(1-percentile)", "ms",
                    List.of(Charts.distribution("a", RunFiles.readLog(a.resolve(RunFiles.HLOG))),
                            Charts.distribution("b", RunFiles.readLog(b.resolve(RunFiles.HLOG)))), true));
        RunFiles.write(out, Html.page("infer4j bench compare", h.toString()));
    }
}
