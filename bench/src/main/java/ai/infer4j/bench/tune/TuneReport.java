package ai.infer4j.bench.tune;

import ai.infer4j.bench.record.Charts;
import ai.infer4j.bench.record.Html;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;

/**
 * Everything one {@code infer4j tune} found, and its files: {@code tune.csv} (one row per configuration),
 * {@code probes.csv} (every rate probe), {@code curves.csv}, {@code throttle.csv} and {@code index.html}.
 *
 * @param curves     latency against load for the recommended configuration (e.g. in-process and server), may be empty
 * @param throttle   the throttle sweep, may be empty
 * @param coldStarts cold start runs, may be empty
 */
public record TuneReport(double sloP99Ms, double pricePerHour, double peakRps, List<Tuner.Result> results,
                         List<LoadCurve> curves, List<ThrottleSweep.Row> throttle, List<ColdStart.Result> coldStarts) {
    public TuneReport {
        results = List.copyOf(results);
        curves = List.copyOf(curves);
        throttle = List.copyOf(throttle);
        coldStarts = List.copyOf(coldStarts);
    }

    public Optional<Tuner.Result> recommendation() {
        return Tuner.recommend(results);
    }

    public Tuner.Cost cost(Tuner.Result r) {
        return Tuner.Cost.of(pricePerHour, peakRps, r.maxRps());
    }

    /** The recommendation in one line for the terminal. */
    public String recommendationText() {
        return recommendation().map(r -> {
            String s = String.format(Locale.ROOT, "recommended: %s, up to %.0f req/s per instance with p99 %.2f ms (SLO %.1f ms)",
                    r.config().label(), r.maxRps(), r.search().atMax().p99Ms(), sloP99Ms);
            if (pricePerHour > 0) {
                Tuner.Cost c = cost(r);
                s += String.format(Locale.ROOT, "; %.4f per 1M inferences at %.2f/h", c.costPerMillion(), pricePerHour);
                if (peakRps > 0) s += String.format(Locale.ROOT, "; %d instance(s) for %.0f req/s peak", c.instances(), peakRps);
            }
            return s;
        }).orElse(String.format(Locale.ROOT, "no configuration met p99 <= %.1f ms at any rate tried", sloP99Ms));
    }

    public void write(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("tune.csv"), configsCsv());
            Files.writeString(dir.resolve("probes.csv"), probesCsv());
            if (!curves.isEmpty()) Files.writeString(dir.resolve("curves.csv"), curvesCsv());
            if (!throttle.isEmpty()) Files.writeString(dir.resolve("throttle.csv"), throttleCsv());
            Files.writeString(dir.resolve("index.html"), html());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the tune report to " + dir + ": " + e.getMessage(), e);
        }
    }

    String configsCsv() {
        StringBuilder sb = new StringBuilder("variant,workers,intra_op_threads,max_batch_size,max_batch_delay_ms,max_rps_at_slo,"
                + "p50_ms,p99_ms,cost_per_million,instances_for_peak,recommended,error\n");
        Tuner.Result rec = recommendation().orElse(null);
        for (Tuner.Result r : results) {
            var c = r.config();
            var at = r.search() == null ? null : r.search().atMax();
            Tuner.Cost cost = cost(r);
            sb.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%d,%.1f,%.3f,%.3f,%s,%d,%s,%s%n", csv(c.variant()), c.workers(),
                    c.intraOpThreads(), c.maxBatchSize(), c.maxBatchDelay().toMillis(), r.maxRps(), at == null ? 0 : at.p50Ms(),
                    at == null ? 0 : at.p99Ms(), Double.isInfinite(cost.costPerMillion()) ? "" : String.format(Locale.ROOT, "%.6f", cost.costPerMillion()),
                    cost.instances(), r == rec, csv(r.error() == null ? "" : r.error())));
        }
        return sb.toString();
    }

    String probesCsv() {
        StringBuilder sb = new StringBuilder("config,offered_rps,throughput_rps,p50_ms,p99_ms,errors,meets_slo\n");
        for (Tuner.Result r : results) {
            if (r.search() == null) continue;
            for (RateSearch.Probe p : r.search().probes())
                sb.append(String.format(Locale.ROOT, "%s,%.1f,%.1f,%.3f,%.3f,%d,%s%n", csv(r.config().label()), p.offeredRps(),
                        p.summary().throughputRps(), p.summary().p50Ms(), p.summary().p99Ms(), p.summary().errorCount(), p.meets()));
        }
        return sb.toString();
    }

    String curvesCsv() {
        StringBuilder sb = new StringBuilder("target,fraction,offered_rps,throughput_rps,p50_ms,p90_ms,p99_ms,errors\n");
        for (LoadCurve c : curves)
            for (LoadCurve.Point p : c.points())
                sb.append(String.format(Locale.ROOT, "%s,%.2f,%.1f,%.1f,%.3f,%.3f,%.3f,%d%n", csv(c.target()), p.fraction(), p.offeredRps(),
                        p.summary().throughputRps(), p.summary().p50Ms(), p.summary().p90Ms(), p.summary().p99Ms(), p.summary().errorCount()));
        return sb.toString();
    }

    String throttleCsv() {
        StringBuilder sb = new StringBuilder("limit,multiplier,clients,served,refused,other_errors,served_rps,served_p50_ms,served_p99_ms\n");
        for (ThrottleSweep.Row r : throttle)
            sb.append(String.format(Locale.ROOT, "%d,%.2f,%d,%d,%d,%d,%.1f,%.3f,%.3f%n", r.limit(), r.multiplier(), r.clients(), r.served(),
                    r.refused(), r.otherErrors(), r.servedRps(), r.servedP50Ms(), r.servedP99Ms()));
        return sb.toString();
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    String html() {
        StringBuilder b = new StringBuilder();
        b.append("<p class=\"").append(recommendation().isPresent() ? "good" : "warn").append("\">").append(Html.esc(recommendationText())).append("</p>");
        b.append("<h2>Configurations</h2><p class=\"note\">Highest open-loop rate with p99 &le; ").append(fmt(sloP99Ms))
                .append(" ms, &le; 0.1% errors and &ge; 95% of the offered rate served. Files: tune.csv, probes.csv.</p>");
        List<List<String>> rows = new ArrayList<>();
        for (Tuner.Result r : results) {
            var at = r.search() == null ? null : r.search().atMax();
            Tuner.Cost c = cost(r);
            rows.add(List.of(r.config().label(), fmt(r.maxRps()), at == null ? "" : fmt(at.p50Ms()), at == null ? "" : fmt(at.p99Ms()),
                    pricePerHour > 0 && r.meetsSlo() ? String.format(Locale.ROOT, "%.4f", c.costPerMillion()) : "",
                    peakRps > 0 && r.meetsSlo() ? "" + c.instances() : "", r.error() == null ? "" : r.error()));
        }
        b.append(Html.table(List.of("config", "max req/s at SLO", "p50 ms", "p99 ms", "cost / 1M", "instances for peak", "error"), rows));
        // one plot per model variant, so a plot holds a handful of configurations, not all of them
        Map<String, List<Charts.Series>> byVariant = new LinkedHashMap<>();
        for (Tuner.Result r : results) {
            if (r.search() == null || r.search().probes().isEmpty()) continue;
            List<RateSearch.Probe> ps = new ArrayList<>(r.search().probes());
            ps.sort(Comparator.comparingDouble(RateSearch.Probe::offeredRps));
            byVariant.computeIfAbsent(r.config().variant(), v -> new ArrayList<>()).add(new Charts.Series(
                    r.config().label().substring(r.config().variant().length()).trim(), ps.stream().mapToDouble(RateSearch.Probe::offeredRps).toArray(),
                    ps.stream().mapToDouble(p -> Math.min(p.summary().p99Ms(), sloP99Ms * 5)).toArray(), true));
        }
        byVariant.forEach((variant, probes) -> {
            probes.add(new Charts.Series("SLO", new double[]{0, maxOffered()}, new double[]{sloP99Ms, sloP99Ms}));
            b.append(Charts.img(variant + ": p99 at each probed rate (capped at 5x SLO)", "offered req/s", "p99 ms", probes, false));
        });
        if (!curves.isEmpty()) {
            b.append("<h2>Latency against load</h2><p class=\"note\">Saturation = closed-loop throughput; points are open-loop runs at fractions of it. File: curves.csv.</p>");
            List<List<String>> cr = new ArrayList<>();
            List<Charts.Series> p99 = new ArrayList<>();
            List<Charts.Series> thr = new ArrayList<>();
            for (LoadCurve c : curves) {
                cr.add(List.of(c.target(), fmt(c.saturationRps()), fmt(c.kneeRps())));
                double[] x = c.points().stream().mapToDouble(LoadCurve.Point::offeredRps).toArray();
                p99.add(new Charts.Series(c.target() + " p99", x, c.points().stream().mapToDouble(p -> p.summary().p99Ms()).toArray(), true));
                p99.add(new Charts.Series(c.target() + " p50", x, c.points().stream().mapToDouble(p -> p.summary().p50Ms()).toArray(), true));
                thr.add(new Charts.Series(c.target(), x, c.points().stream().mapToDouble(p -> p.summary().throughputRps()).toArray(), true));
            }
            b.append(Html.table(List.of("target", "saturation req/s", "knee req/s"), cr));
            b.append(Charts.img("Latency against offered load", "offered req/s", "ms", p99, false));
            b.append(Charts.img("Served against offered load", "offered req/s", "served req/s", thr, false));
        }
        if (!throttle.isEmpty()) {
            b.append("<h2>Throttle sweep</h2><p class=\"note\">Closed-loop clients = concurrency limit (job_queue_size) x multiplier. File: throttle.csv.</p>");
            List<List<String>> tr = new ArrayList<>();
            for (ThrottleSweep.Row r : throttle)
                tr.add(List.of("" + r.limit(), fmt(r.multiplier()), "" + r.clients(), "" + r.served(), "" + r.refused(),
                        String.format(Locale.ROOT, "%.1f%%", r.refusedShare() * 100), fmt(r.servedRps()), fmt(r.servedP50Ms()), fmt(r.servedP99Ms())));
            b.append(Html.table(List.of("limit", "multiplier", "clients", "served", "refused (503)", "refused %", "served/s", "served p50 ms",
                    "served p99 ms"), tr));
        }
        if (!coldStarts.isEmpty()) {
            b.append("<h2>Cold start</h2><p class=\"note\">Process start to first 200 from POST /predictions.</p>");
            List<List<String>> cs = new ArrayList<>();
            for (int i = 0; i < coldStarts.size(); i++) {
                ColdStart.Result r = coldStarts.get(i);
                cs.add(List.of("" + (i + 1), r.ok() ? fmt(r.millis()) : "", r.error() == null ? "" : r.error()));
            }
            b.append(Html.table(List.of("run", "ms to first answer", "error"), cs));
        }
        return Html.page("infer4j tune", b.toString());
    }

    private double maxOffered() {
        return results.stream().filter(r -> r.search() != null).flatMap(r -> r.search().probes().stream())
                .mapToDouble(RateSearch.Probe::offeredRps).max().orElse(1);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : Math.abs(v) >= 10 ? "%.1f" : "%.2f", v);
    }
}
