import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prints PIT's mutation score per package (and in all) from {@code mutations.xml}, with PIT's line
 * coverage per package from {@code index.html}. Run as a single-file program:
 * {@code java mutation/PitScores.java pal-models/target/pit-reports}.
 */
public final class PitScores {
  private static final Pattern MUTATION = Pattern.compile("<mutation\\b[^>]*\\bstatus='([A-Z_]+)'[^>]*>.*?<mutatedClass>([^<]+)</mutatedClass>", Pattern.DOTALL);
  private static final Pattern PACKAGE_ROW = Pattern.compile(
      "<td><a href=\"\\./([^/\"]+)/index\\.html\">[^<]*</a></td>\\s*<td>\\d+</td>\\s*<td>.*?<div class=\"coverage_legend\">(\\d+)/(\\d+)</div>", Pattern.DOTALL);

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "pal-models/target/pit-reports");
    String xml = Files.readString(dir.resolve("mutations.xml"));
    Map<String, int[]> byPackage = new TreeMap<>(); // detected, total
    Matcher m = MUTATION.matcher(xml);
    while (m.find()) {
      String cls = m.group(2);
      String pkg = cls.substring(0, cls.lastIndexOf('.'));
      int[] c = byPackage.computeIfAbsent(pkg, k -> new int[2]);
      String status = m.group(1);
      if (!status.equals("SURVIVED") && !status.equals("NO_COVERAGE")) c[0]++;
      c[1]++;
    }
    Map<String, int[]> lines = new TreeMap<>();
    Path index = dir.resolve("index.html");
    if (Files.exists(index)) {
      Matcher r = PACKAGE_ROW.matcher(Files.readString(index));
      while (r.find()) lines.put(r.group(1), new int[] {Integer.parseInt(r.group(2)), Integer.parseInt(r.group(3))});
    }
    System.out.println();
    System.out.printf("%-24s %9s %9s %7s   %s%n", "package", "killed", "mutants", "score", "line coverage");
    int killed = 0, total = 0, covered = 0, allLines = 0;
    for (var e : byPackage.entrySet()) {
      int[] c = e.getValue(), l = lines.get(e.getKey());
      killed += c[0];
      total += c[1];
      if (l != null) { covered += l[0]; allLines += l[1]; }
      System.out.printf("%-24s %9d %9d %6.1f%%   %s%n", e.getKey(), c[0], c[1], 100.0 * c[0] / c[1], l == null ? "" : pct(l[0], l[1]));
    }
    System.out.printf("%-24s %9d %9d %6.1f%%   %s%n", "all", killed, total, 100.0 * killed / Math.max(total, 1), allLines == 0 ? "" : pct(covered, allLines));
  }

  private static String pct(int a, int b) {
    return String.format("%d/%d (%.1f%%)", a, b, 100.0 * a / b);
  }
}
