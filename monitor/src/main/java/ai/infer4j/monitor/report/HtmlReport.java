package ai.infer4j.monitor.report;

import ai.infer4j.engine.io.AtomicFiles;
import ai.infer4j.monitor.baseline.BaselineStatistics;
import ai.infer4j.monitor.capture.Observation;
import ai.infer4j.monitor.drift.CheckResult;
import ai.infer4j.monitor.drift.SignalResult;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.knowm.xchart.XYSeries;

import java.io.IOException;
import java.nio.file.Path;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The check's HTML report: a verdict table and charts (class distribution, confidence and length CDFs,
 * embedding sketch scatter), as PNGs inlined in one self-contained file that opens offline.
 */
public final class HtmlReport {
    private static final int W = 760, H = 360;

    private HtmlReport() {
    }

    public static void write(Path file, BaselineStatistics base, List<Observation> window, CheckResult r, String captureName) {
        String html = render(base, window, r, captureName);
        try {
            AtomicFiles.write(file, out -> out.write(html.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static String render(BaselineStatistics base, List<Observation> window, CheckResult r, String captureName) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>infer4j monitor: ").append(esc(base.model()))
                .append("</title><style>body{font-family:sans-serif;max-width:860px;margin:2em auto;color:#222}"
                        + "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;font-size:14px}"
                        + ".violation{color:#b00020;font-weight:bold}.ok{color:#1b7f3b}.insufficient_data,.not_applicable{color:#888}"
                        + "img{max-width:100%;border:1px solid #eee;margin:6px 0}.alarm{background:#fde7ea;padding:8px}.small{background:#eee;padding:8px}.calm{background:#e8f5ec;padding:8px}"
                        + "</style></head><body>");
        h.append("<h1>Drift check: ").append(esc(base.model())).append("</h1>");
        h.append("<p>Baseline: ").append(esc(base.source())).append(" (").append(base.n()).append(" rows, model version ")
                .append(esc(base.version())).append(")");
        if (base.provenance() != null)
            h.append("<br><small>Provenance: <b>").append(esc(base.provenance())).append("</b> — ").append(esc(base.provenanceNote()))
                    .append("</small>");
        h.append("<br>Capture: ").append(esc(captureName)).append(" — ").append(r.n()).append(" events");
        if (r.n() > 0)
            h.append(" from ").append(Instant.ofEpochMilli(r.fromMillis())).append(" to ").append(Instant.ofEpochMilli(r.toMillis()));
        h.append(", ").append(r.labelled()).append(" with ground truth</p>");
        if (r.alarm())
            h.append("<p class=\"alarm\"><b>ALARM</b>: ").append(r.violations().size()).append(" signal(s) violated: ")
                    .append(esc(String.join(", ", r.violations().stream().map(SignalResult::signal).toList()))).append("</p>");
        else if (r.tooSmall())
            h.append("<p class=\"small\">Too small to judge: no signal had enough events (or labels) to be tested.</p>");
        else h.append("<p class=\"calm\">No signal violated.</p>");
        h.append("<table><tr><th>family</th><th>decision</th><th>error control</th><th>signals judged / skipped</th></tr>");
        family(h, "drift", r.drift());
        family(h, "quality", r.quality());
        h.append("</table><p></p>");
        h.append("<table><tr><th>signal</th><th>status</th><th>statistic</th><th>p-value</th><th>Holm p</th><th>baseline</th><th>window</th>"
                + "<th>decision</th></tr>");
        for (SignalResult s : r.signals()) {
            String st = s.status().name().toLowerCase(Locale.ROOT);
            h.append("<tr><td>").append(s.signal()).append("</td><td class=\"").append(st).append("\">").append(st).append("</td><td>")
                    .append(s.statistic()).append(" = ").append(num(s.value()));
            s.extra().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> h.append("<br><small>").append(e.getKey()).append(" = ").append(num(e.getValue())).append("</small>"));
            h.append("</td><td>").append(num(s.p())).append("</td><td>").append(num(s.pAdjusted())).append("</td><td>").append(num(s.baseline()))
                    .append("</td><td>").append(num(s.window())).append("</td><td><small>").append(esc(s.decision())).append("<br><i>rule: ")
                    .append(esc(s.rule())).append("</i></small></td></tr>");
        }
        h.append("</table>");
        if (!window.isEmpty()) {
            if (!base.labels().isEmpty()) img(h, "Predicted classes with the largest change", classChart(base, window));
            double[] conf = window.stream().mapToDouble(Observation::score).filter(v -> !Double.isNaN(v)).toArray();
            if (conf.length > 0 && base.confidence().length > 0)
                img(h, "Confidence (empirical CDF; KS D is the largest vertical gap)", cdfChart("confidence", base.confidence(), conf));
            img(h, "Input length in tokens (empirical CDF)", cdfChart("tokens", Arrays.stream(base.tokens()).asDoubleStream().toArray(),
                    window.stream().mapToDouble(Observation::tokens).toArray()));
            if (base.sketchDim() >= 2 && window.stream().anyMatch(o -> o.sketch() != null))
                img(h, "Embedding sketch, first two dimensions", scatter(base, window));
        }
        h.append("<p><small>Generated by infer4j monitor check. Thresholds come from the baseline's constraints.json.</small></p></body></html>\n");
        return h.toString();
    }

    private static void family(StringBuilder h, String name, CheckResult.Family f) {
        String cls = f.alarm() ? "violation" : f.tested() == 0 ? "insufficient_data" : "ok";
        h.append("<tr><td>").append(name).append("</td><td class=\"").append(cls).append("\">")
                .append(f.alarm() ? "alarm" : f.tested() == 0 ? "not judged" : "no alarm").append("</td><td><small>").append(esc(f.method()))
                .append(", alpha ").append(num(f.alpha())).append("</small></td><td>").append(f.tested()).append(" / ").append(f.skipped())
                .append("</td></tr>");
    }

    private static Chart<?, ?> classChart(BaselineStatistics base, List<Observation> window) {
        Map<String, Double> b = new LinkedHashMap<>(), w = new LinkedHashMap<>();
        long bn = base.classCounts().values().stream().mapToLong(Long::longValue).sum();
        base.classCounts().forEach((k, v) -> b.put(k, bn == 0 ? 0 : (double) v / bn));
        long wn = window.stream().filter(o -> o.label() != null).count();
        for (Observation o : window) if (o.label() != null) w.merge(o.label(), 1.0 / wn, Double::sum);
        List<String> labels = new ArrayList<>(b.keySet());
        w.keySet().stream().filter(k -> !b.containsKey(k)).forEach(labels::add);
        labels.sort(Comparator.comparingDouble((String k) -> -Math.abs(w.getOrDefault(k, 0.0) - b.getOrDefault(k, 0.0))).thenComparing(k -> k));
        List<String> top = labels.subList(0, Math.min(20, labels.size()));
        CategoryChart c = new CategoryChartBuilder().width(W).height(H + 80).title("Share of predictions").yAxisTitle("share").build();
        c.getStyler().setXAxisLabelRotation(60);
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        c.addSeries("baseline", top, top.stream().map(k -> (Number) b.getOrDefault(k, 0.0)).toList());
        c.addSeries("window", top, top.stream().map(k -> (Number) w.getOrDefault(k, 0.0)).toList());
        return c;
    }

    private static Chart<?, ?> cdfChart(String what, double[] base, double[] window) {
        XYChart c = new XYChartBuilder().width(W).height(H).title("CDF of " + what).xAxisTitle(what).yAxisTitle("fraction <= x").build();
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
        addCdf(c, "baseline", base);
        addCdf(c, "window", window);
        return c;
    }

    private static void addCdf(XYChart c, String name, double[] v) {
        double[] x = v.clone();
        Arrays.sort(x);
        int step = Math.max(1, x.length / 400);
        List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
        for (int i = 0; i < x.length; i += step) {
            xs.add(x[i]);
            ys.add((i + 1.0) / x.length);
        }
        xs.add(x[x.length - 1]);
        ys.add(1.0);
        XYSeries s = c.addSeries(name, xs, ys);
        s.setMarker(SeriesMarkers.NONE);
    }

    private static Chart<?, ?> scatter(BaselineStatistics base, List<Observation> window) {
        XYChart c = new XYChartBuilder().width(W).height(H).title("Embedding sketch").xAxisTitle("dim 0").yAxisTitle("dim 1").build();
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setMarkerSize(4);
        List<Double> bx = new ArrayList<>(), by = new ArrayList<>(), wx = new ArrayList<>(), wy = new ArrayList<>();
        for (float[] s : base.reference()) {
            bx.add((double) s[0]);
            by.add((double) s[1]);
        }
        int step = Math.max(1, window.size() / 1000);
        for (int i = 0; i < window.size(); i += step) {
            float[] s = window.get(i).sketch();
            if (s == null || s.length < 2) continue;
            wx.add((double) s[0]);
            wy.add((double) s[1]);
        }
        if (!bx.isEmpty()) c.addSeries("baseline", bx, by);
        if (!wx.isEmpty()) c.addSeries("window", wx, wy);
        return c;
    }

    private static void img(StringBuilder h, String title, Chart<?, ?> chart) {
        try {
            byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
            h.append("<h2>").append(esc(title)).append("</h2><img alt=\"").append(esc(title)).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(png)).append("\">");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot render chart '" + title + "': " + e.getMessage(), e);
        }
    }

    private static String num(double v) {
        if (Double.isNaN(v)) return "–";
        if (v != 0 && Math.abs(v) < 1e-3) return String.format(Locale.ROOT, "%.2e", v);
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static String esc(String s) {
        if (s == null) return "";
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
