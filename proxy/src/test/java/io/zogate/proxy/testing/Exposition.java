package io.zogate.proxy.testing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text format (0.0.4), written from the format's
 * description: every line is a comment ({@code # HELP}, {@code # TYPE}) or a sample
 * {@code name{label="value",...} value}; anything else fails the test. Samples are keyed by
 * name and sorted labels, so assertions do not depend on the writer's label order.
 */
public final class Exposition {
  private static final Pattern SAMPLE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)(?: \\d+)?");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");
  private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");

  public final Map<String, Double> samples = new LinkedHashMap<>();
  public final Map<String, String> types = new LinkedHashMap<>();

  private Exposition() {}

  public static Exposition parse(String text) {
    Exposition e = new Exposition();
    for (String line : text.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        Matcher t = TYPE.matcher(line);
        if (t.matches()) {
          e.types.put(t.group(1), t.group(2));
        } else if (!line.startsWith("# HELP ")) {
          throw new AssertionError("not a HELP or TYPE line: " + line);
        }
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      if (!m.matches()) {
        throw new AssertionError("not a sample line: " + line);
      }
      Map<String, String> labels = new TreeMap<>();
      if (m.group(2) != null && !m.group(2).isEmpty()) {
        Matcher l = LABEL.matcher(m.group(2));
        int end = 0;
        while (l.find() && l.start() == end) {
          labels.put(l.group(1), l.group(2));
          end = l.end();
        }
        if (end != m.group(2).length()) {
          throw new AssertionError("bad labels: " + line);
        }
      }
      e.samples.put(key(m.group(1), labels), Double.parseDouble(m.group(3)));
    }
    return e;
  }

  /** The sample's value, or null when the series is absent. */
  public Double value(String name, String... labelPairs) {
    Map<String, String> labels = new TreeMap<>();
    for (int i = 0; i < labelPairs.length; i += 2) {
      labels.put(labelPairs[i], labelPairs[i + 1]);
    }
    return samples.get(key(name, labels));
  }

  /** Every sample key of one metric name, for coverage checks. */
  public List<String> keys(String name) {
    return samples.keySet().stream().filter(k -> k.equals(name) || k.startsWith(name + "{")).toList();
  }

  private static String key(String name, Map<String, String> labels) {
    if (labels.isEmpty()) {
      return name;
    }
    StringBuilder b = new StringBuilder(name).append('{');
    // Bucket bounds compare as numbers: "0.0001" and "1.0E-4" are one bound.
    labels.forEach((k, v) -> b.append(k).append("=\"")
        .append(k.equals("le") && !v.equals("+Inf") ? Double.toString(Double.parseDouble(v)) : v).append("\","));
    b.setLength(b.length() - 1);
    return b.append('}').toString();
  }
}
