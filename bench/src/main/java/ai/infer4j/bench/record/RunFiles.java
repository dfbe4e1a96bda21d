package ai.infer4j.bench.record;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.HdrHistogram.HistogramLogWriter;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The files of one run directory: {@code intervals.csv}, {@code latency.hlog} (HdrHistogram interval log, readable by
 * HistogramLogProcessor), {@code latency.hgrm} (percentile distribution), {@code summary.json} and {@code index.html}.
 */
public final class RunFiles {
    public static final String CSV = "intervals.csv";
    public static final String HLOG = "latency.hlog";
    public static final String HGRM = "latency.hgrm";
    public static final String SUMMARY = "summary.json";
    public static final String HTML = "index.html";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RunFiles() {
    }

    /** The CSV header: time, interval, sent, ok, one column per error kind, throughput and latency percentiles. */
    public static List<String> header() {
        List<String> h = new ArrayList<>(List.of("time_s", "interval_s", "sent", "ok"));
        for (Outcome o : Outcome.ERRORS) h.add(o.column());
        h.addAll(List.of("throughput_rps", "p50_ms", "p90_ms", "p99_ms", "max_ms"));
        return h;
    }

    /** Opens the HdrHistogram log of a run; the caller closes the returned stream after the run. */
    public static PrintStream openLog(Path dir) {
        try {
            Files.createDirectories(dir);
            return new PrintStream(dir.resolve(HLOG).toFile(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(HLOG) + ": " + e.getMessage(), e);
        }
    }

    public static HistogramLogWriter logWriter(PrintStream out) {
        return new HistogramLogWriter(out);
    }

    public static void writeCsv(Path file, List<IntervalRow> rows) {
        StringBuilder sb = new StringBuilder(String.join(",", header())).append('\n');
        for (IntervalRow r : rows) {
            sb.append(f3(r.timeS())).append(',').append(f3(r.intervalS())).append(',').append(r.sent()).append(',').append(r.ok());
            for (Outcome o : Outcome.ERRORS) sb.append(',').append(r.errors(o));
            sb.append(',').append(f3(r.throughputRps())).append(',').append(f3(r.p50Ms())).append(',').append(f3(r.p90Ms()))
                    .append(',').append(f3(r.p99Ms())).append(',').append(f3(r.maxMs())).append('\n');
        }
        write(file, sb.toString());
    }

    public static List<IntervalRow> readCsv(Path file) {
        List<String> lines = readLines(file);
        if (lines.isEmpty() || !lines.get(0).equals(String.join(",", header())))
            throw new IllegalArgumentException(file + " is not an infer4j bench intervals.csv (header differs)");
        List<IntervalRow> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String[] c = lines.get(i).split(",", -1);
            if (c.length != header().size()) throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + c.length + " columns");
            Map<Outcome, Long> errors = new EnumMap<>(Outcome.class);
            int k = 4;
            for (Outcome o : Outcome.ERRORS) errors.put(o, Long.parseLong(c[k++]));
            rows.add(new IntervalRow(d(c[0]), d(c[1]), Long.parseLong(c[2]), Long.parseLong(c[3]), errors, d(c[k]), d(c[k + 1]),
                    d(c[k + 2]), d(c[k + 3]), d(c[k + 4])));
        }
        return rows;
    }

    public static void writeSummary(Path file, RunSummary s) {
        try {
            write(file, JSON.writeValueAsString(s) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    public static RunSummary readSummary(Path file) {
        try {
            return JSON.readValue(file.toFile(), RunSummary.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes the percentile distribution in HdrHistogram's text format (milliseconds). */
    public static void writeDistribution(Path file, Histogram micros) {
        try (PrintStream out = new PrintStream(file.toFile(), StandardCharsets.UTF_8)) {
            micros.outputPercentileDistribution(out, 5, 1000.0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** All intervals of a {@code latency.hlog} added up (microseconds). */
    public static Histogram readLog(Path file) {
        Histogram total = new Histogram(IntervalRecorder.MAX_MICROS, 3);
        try {
            HistogramLogReader reader = new HistogramLogReader(file.toFile());
            EncodableHistogram h;
            while ((h = reader.nextIntervalHistogram()) != null) if (h instanceof Histogram hh) total.add(hh);
            reader.close();
        } catch (FileNotFoundException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return total;
    }

    static void write(Path file, String text) {
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static String f3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static double d(String s) {
        return Double.parseDouble(s);
    }
}
