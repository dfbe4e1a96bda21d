package ai.infer4j.bench.record;

import java.util.List;

/** Tiny HTML helpers shared by the bench and tune reports. */
public final class Html {
    private Html() {
    }

    public static final String STYLE = "<style>body{font-family:sans-serif;margin:24px;max-width:1000px}"
            + "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
            + "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.note{color:#666}"
            + ".warn{color:#b00;font-weight:bold}.good{color:#070;font-weight:bold}img{max-width:100%}</style>";

    public static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    public static String page(String title, String body) {
        return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + esc(title) + "</title>" + STYLE + "</head><body>\n<h1>"
                + esc(title) + "</h1>\n" + body + "\n</body></html>\n";
    }

    /** A table; cells are escaped. */
    public static String table(List<String> header, List<List<String>> rows) {
        StringBuilder sb = new StringBuilder("<table><tr>");
        for (String h : header) sb.append("<th>").append(esc(h)).append("</th>");
        sb.append("</tr>\n");
        for (List<String> r : rows) {
            sb.append("<tr>");
            for (String c : r) sb.append("<td>").append(esc(c)).append("</td>");
            sb.append("</tr>\n");
        }
        return sb.append("</table>\n").toString();
    }
}
