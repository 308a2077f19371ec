package io.zogate.adversarial;

import java.util.List;
import java.util.Map;

/** The report's Markdown and HTML renderings: the same content as the JSON. */
final class ReportText {
  private ReportText() {}

  @SuppressWarnings("unchecked")
  static String markdown(Map<String, Object> r) {
    StringBuilder sb = new StringBuilder("# zo-gate adversarial report\n\n");
    sb.append("- schema: ").append(r.get("schema")).append("\n- generatedAt: ").append(r.get("generatedAt"))
        .append("\n- commit: ").append(r.get("commit")).append("\n- proxyVersion: ").append(r.get("proxyVersion"))
        .append("\n- **verdict: ").append(r.get("verdict")).append("**\n\n## Severity\n\n| severity | cases | passed | verdict |\n|---|---|---|---|\n");
    ((Map<String, Map<String, Object>>) r.get("severity")).forEach((k, v) -> sb.append("| ").append(k).append(" | ")
        .append(v.get("cases")).append(" | ").append(v.get("passed")).append(" | ").append(v.get("verdict")).append(" |\n"));
    Map<String, Object> m = (Map<String, Object>) r.get("mutation");
    sb.append("\n## Mutation (Pitest)\n\n| score % | threshold % | killed | survived | noCoverage | verdict |\n|---|---|---|---|---|---|\n| ")
        .append(m.get("score")).append(" | ").append(m.get("threshold")).append(" | ").append(m.get("killed")).append(" | ")
        .append(m.get("survived")).append(" | ").append(m.get("noCoverage")).append(" | ").append(m.get("verdict"))
        .append(" |\n\nScope: ").append(String.join(", ", (List<String>) m.get("scope"))).append("\n\n## Categories\n\n| category | cases | passed |\n|---|---|---|\n");
    ((Map<String, Map<String, Object>>) r.get("categories")).forEach((k, v) -> sb.append("| ").append(k).append(" | ")
        .append(v.get("cases")).append(" | ").append(v.get("passed")).append(" |\n"));
    sb.append("\n## Corpora\n\n| corpus | cases | agreed |\n|---|---|---|\n");
    ((Map<String, Map<String, Object>>) r.get("corpora")).forEach((k, v) -> sb.append("| ").append(k).append(" | ")
        .append(v.get("cases")).append(" | ").append(v.get("agreed")).append(" |\n"));
    sb.append("\n## Cases\n\n| id | category | severity | title | expected | observed | passed |\n|---|---|---|---|---|---|---|\n");
    for (Map<String, Object> c : (List<Map<String, Object>>) r.get("cases")) {
      sb.append("| ").append(c.get("id")).append(" | ").append(c.get("category")).append(" | ").append(c.get("severity"))
          .append(" | ").append(md(c.get("title"))).append(" | ").append(md(c.get("expected"))).append(" | ")
          .append(md(c.get("observed"))).append(" | ").append((Boolean) c.get("passed") ? "yes" : "**NO**").append(" |\n");
    }
    return sb.toString();
  }

  static String md(Object o) {
    return String.valueOf(o).replace("|", "\\|").replace("\n", " ");
  }

  static String h(Object o) {
    return String.valueOf(o).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  @SuppressWarnings("unchecked")
  static String html(Map<String, Object> r) {
    StringBuilder sb = new StringBuilder("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<title>zo-gate adversarial report</title><style>body{font-family:sans-serif;margin:2em}"
        + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
        + ".fail{background:#fdd}.pass{background:#dfd}</style></head><body>\n<h1>zo-gate adversarial report</h1>\n");
    String v = (String) r.get("verdict");
    sb.append("<p>schema ").append(h(r.get("schema"))).append(" &middot; generatedAt ").append(h(r.get("generatedAt")))
        .append(" &middot; commit ").append(h(r.get("commit"))).append(" &middot; proxyVersion ").append(h(r.get("proxyVersion")))
        .append("</p>\n<p class=\"").append(v).append("\"><strong>verdict: ").append(h(v)).append("</strong></p>\n");
    sb.append("<h2>Severity</h2><table><tr><th>severity</th><th>cases</th><th>passed</th><th>verdict</th></tr>\n");
    ((Map<String, Map<String, Object>>) r.get("severity")).forEach((k, s) -> sb.append("<tr class=\"").append(s.get("verdict"))
        .append("\"><td>").append(k).append("</td><td>").append(s.get("cases")).append("</td><td>").append(s.get("passed"))
        .append("</td><td>").append(s.get("verdict")).append("</td></tr>\n"));
    Map<String, Object> m = (Map<String, Object>) r.get("mutation");
    sb.append("</table><h2>Mutation (Pitest)</h2><table><tr><th>score %</th><th>threshold %</th><th>killed</th><th>survived</th><th>noCoverage</th><th>verdict</th></tr><tr class=\"")
        .append(m.get("verdict")).append("\"><td>").append(m.get("score")).append("</td><td>").append(m.get("threshold"))
        .append("</td><td>").append(m.get("killed")).append("</td><td>").append(m.get("survived")).append("</td><td>")
        .append(m.get("noCoverage")).append("</td><td>").append(m.get("verdict")).append("</td></tr></table><p>Scope: ")
        .append(h(String.join(", ", (List<String>) m.get("scope")))).append("</p>\n");
    sb.append("<h2>Categories</h2><table><tr><th>category</th><th>cases</th><th>passed</th></tr>\n");
    ((Map<String, Map<String, Object>>) r.get("categories")).forEach((k, c) -> sb.append("<tr><td>").append(h(k))
        .append("</td><td>").append(c.get("cases")).append("</td><td>").append(c.get("passed")).append("</td></tr>\n"));
    sb.append("</table><h2>Corpora</h2><table><tr><th>corpus</th><th>cases</th><th>agreed</th></tr>\n");
    ((Map<String, Map<String, Object>>) r.get("corpora")).forEach((k, c) -> sb.append("<tr><td>").append(h(k))
        .append("</td><td>").append(c.get("cases")).append("</td><td>").append(c.get("agreed")).append("</td></tr>\n"));
    sb.append("</table><h2>Cases</h2><table><tr><th>id</th><th>category</th><th>severity</th><th>title</th><th>expected</th><th>observed</th><th>passed</th></tr>\n");
    for (Map<String, Object> c : (List<Map<String, Object>>) r.get("cases")) {
      boolean p = (Boolean) c.get("passed");
      sb.append("<tr class=\"").append(p ? "pass" : "fail").append("\"><td>").append(h(c.get("id"))).append("</td><td>")
          .append(h(c.get("category"))).append("</td><td>").append(h(c.get("severity"))).append("</td><td>")
          .append(h(c.get("title"))).append("</td><td>").append(h(c.get("expected"))).append("</td><td>")
          .append(h(c.get("observed"))).append("</td><td>").append(p).append("</td></tr>\n");
    }
    return sb.append("</table></body></html>\n").toString();
  }
}
