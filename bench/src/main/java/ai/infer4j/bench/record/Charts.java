package ai.infer4j.bench.record;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.Color;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Line charts for the HTML reports, drawn with XChart and embedded as PNG {@code data:} URIs so a report is one
 * file that opens offline. Runs headless. Stateless; safe for concurrent callers.
 */
public final class Charts {
    private static final Logger log = LoggerFactory.getLogger(Charts.class);

    private Charts() {
    }

    /** One named line: x and y of equal length. */
    public record Series(String name, double[] x, double[] y, boolean markers) {
        public Series {
            if (x.length != y.length) throw new IllegalArgumentException("series " + name + ": " + x.length + " x vs " + y.length + " y");
        }

        public Series(String name, double[] x, double[] y) {
            this(name, x, y, false);
        }
    }

    /**
     * An {@code <img>} tag with the chart, or a short note when the machine cannot draw (no fonts in a
     * minimal container): a report without pictures is still a report.
     *
     * @param logX log-scale x axis (used for latency distributions)
     */
    public static String img(String title, String xTitle, String yTitle, List<Series> series, boolean logX) {
        try {
            System.setProperty("java.awt.headless", "true");
            // the legend goes outside the plot area, below it when there are many series, so it never covers a curve
            boolean many = series.size() > 5;
            int height = 380 + (many ? 18 * ((series.size() + 2) / 3) : 0);
            XYChart chart = new XYChartBuilder().width(860).height(height).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
            var st = chart.getStyler();
            st.setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            st.setLegendPosition(many ? Styler.LegendPosition.OutsideS : Styler.LegendPosition.OutsideE);
            if (many) st.setLegendLayout(Styler.LegendLayout.Horizontal);
            st.setChartBackgroundColor(Color.WHITE);
            st.setPlotGridLinesColor(new Color(225, 225, 225));
            st.setMarkerSize(5);
            st.setXAxisLogarithmic(logX);
            st.setXAxisDecimalPattern(logX ? "#,###.#" : null);
            boolean any = false;
            for (Series s : series) {
                if (s.x().length == 0) continue;
                XYSeries xs = chart.addSeries(s.name(), s.x(), s.y());
                if (!s.markers()) xs.setMarker(SeriesMarkers.NONE);
                any = true;
            }
            if (!any) chart.addSeries("no data", new double[]{logX ? 1 : 0}, new double[]{0}).setMarker(SeriesMarkers.NONE);
            byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
            return "<img alt=\"" + Html.esc(title) + "\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "\">";
        } catch (IOException | RuntimeException | Error e) {
            log.warn("cannot draw chart '{}': {}", title, e.toString());
            return "<p class=\"note\">(chart '" + Html.esc(title) + "' could not be drawn on this machine: " + Html.esc(e.toString()) + ")</p>";
        }
    }

    /** A series of one column of interval rows over time. */
    public static Series overTime(String name, List<IntervalRow> rows, ToDoubleFunction<IntervalRow> y) {
        double[] xs = rows.stream().mapToDouble(IntervalRow::timeS).toArray();
        double[] ys = rows.stream().mapToDouble(y).toArray();
        return new Series(name, xs, ys);
    }

    /**
     * The percentile spectrum of a latency histogram (microseconds): x is {@code 1/(1-p)}, so 10 is p90, 100 is
     * p99 and 1000 is p99.9, y is milliseconds.
     */
    public static Series distribution(String name, Histogram micros) {
        List<double[]> pts = new ArrayList<>();
        if (micros.getTotalCount() > 0) {
            for (HistogramIterationValue v : micros.percentiles(5)) {
                double p = v.getPercentileLevelIteratedTo() / 100.0;
                if (p >= 0.99999) break;
                pts.add(new double[]{1 / (1 - p), v.getValueIteratedTo() / 1e3});
            }
        }
        double[] xs = pts.stream().mapToDouble(a -> a[0]).toArray();
        double[] ys = pts.stream().mapToDouble(a -> a[1]).toArray();
        return new Series(name, xs, ys);
    }

    /** Percentile lines (p50, p90, p99, max) of interval rows, optionally prefixed (for comparisons). */
    public static List<Series> percentiles(String prefix, List<IntervalRow> rows) {
        Map<String, ToDoubleFunction<IntervalRow>> cols = new LinkedHashMap<>();
        cols.put("p50", IntervalRow::p50Ms);
        cols.put("p90", IntervalRow::p90Ms);
        cols.put("p99", IntervalRow::p99Ms);
        cols.put("max", IntervalRow::maxMs);
        List<Series> out = new ArrayList<>();
        cols.forEach((n, f) -> out.add(overTime(prefix + n, rows, f)));
        return out;
    }
}
