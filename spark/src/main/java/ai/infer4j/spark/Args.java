package ai.infer4j.spark;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The {@code infer4j batch} command line (kept free of libraries: it runs inside spark-submit too). */
final class Args {
    static final String USAGE = String.join("\n",
            "usage: infer4j batch --model M --input F --output DIR [options]",
            "  --model M          model name or path (duplicate, intent, a .mar or head .json)",
            "  --input F          pairs.parquet | pairs.jsonl | pairs.csv (pairs: left/right, text/text_pair or left_*/right_* columns)",
            "  --output DIR       parquet output: input columns + score, label, error",
            "  --task T           pair (default) or classify",
            "  --text-column C    classify: the text column (default text)",
            "  --master URL       Spark master (default local[*]; spark-submit sets its own)",
            "  --partitions N     repartition the input to N partitions (default: as read)",
            "  --batch-rows N     rows scored together in a partition (default 1024)",
            "  --threads N        ONNX Runtime threads per task (default 1: Spark runs one task per core)",
            "  --max-length N     tokens per sequence (default 128)",
            "  --cache-dir DIR    where executors extract the embedded backbone",
            "  --partition-by C   partition the output directory by these columns (comma-separated, e.g. label)",
            "  --dedupe D         pairs: job (default: each distinct record embedded once per job, one shuffle)",
            "                     or partition (once per partition, no shuffle)",
            "  --overwrite        replace the output if it exists",
            "A model file (.mar or head .json) reaches a cluster's executors through Spark (SparkContext.addFile):",
            "no shared disk needed. Output is committed atomically: a failed or retried task leaves no rows behind.");

    private Args() {
    }

    /** Parses the command line; null means help was asked for. */
    static BatchOptions parse(String[] args) {
        String model = "duplicate", task = "pair", input = null, output = null, master = null, text = "text", cache = null;
        List<String> partitionBy = List.of();
        String dedupe = "job";
        int batchRows = 1024, threads = 1, maxLength = 128, partitions = 0;
        boolean overwrite = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) return null;
            if (a.equals("--overwrite")) {
                overwrite = true;
                continue;
            }
            if (i + 1 >= args.length) throw new IllegalArgumentException("option " + a + " needs a value");
            String v = args[++i];
            switch (a) {
                case "--model", "-m" -> model = v;
                case "--task" -> task = v.toLowerCase(Locale.ROOT);
                case "--input" -> input = v;
                case "--output" -> output = v;
                case "--master" -> master = v;
                case "--text-column" -> text = v;
                case "--cache-dir" -> cache = v;
                case "--batch-rows" -> batchRows = integer(a, v);
                case "--threads" -> threads = integer(a, v);
                case "--max-length" -> maxLength = integer(a, v);
                case "--partitions" -> partitions = integer(a, v);
                case "--dedupe" -> dedupe = v;
                case "--partition-by" -> partitionBy = Arrays.stream(v.split(",")).map(String::trim).filter(c -> !c.isEmpty()).toList();
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (input == null) throw new IllegalArgumentException("--input is required");
        if (output == null) throw new IllegalArgumentException("--output is required");
        return new BatchOptions(model, task, input, output, master, text, batchRows, threads, maxLength, partitions, overwrite, cache, partitionBy, dedupe);
    }

    private static int integer(String option, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number, got '" + v + "'");
        }
    }
}
