import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prints PIT's mutation score per package (and in all) from {@code mutations.xml}, with PIT's line
 * coverage per package from {@code index.html}, for one or more report directories (missing ones are
 * skipped) in one table, with a subtotal for pal-core + pal-models. Run as a single-file program:
 * {@code java mutation/PitScores.java pal-models/target/pit-reports pal-cli/target/pit-reports}.
 */
public final class PitScores {
  private static final Pattern MUTATION = Pattern.compile("<mutation\\b[^>]*\\bstatus='([A-Z_]+)'[^>]*>.*?<mutatedClass>([^<]+)</mutatedClass>", Pattern.DOTALL);
  private static final Pattern PACKAGE_ROW = Pattern.compile(
      "<td><a href=\"\\./([^/\"]+)/index\\.html\">[^<]*</a></td>\\s*<td>\\d+</td>\\s*<td>.*?<div class=\"coverage_legend\">(\\d+)/(\\d+)</div>", Pattern.DOTALL);

  public static void main(String[] args) throws Exception {
    Map<String, int[]> byPackage = new TreeMap<>(); // detected, total
    Map<String, int[]> lines = new TreeMap<>();
    System.out.println();
    for (String a : args.length > 0 ? args : new String[] {"pal-models/target/pit-reports"}) {
      Path dir = Path.of(a).toAbsolutePath().normalize();
      if (!Files.exists(dir.resolve("mutations.xml"))) {
        System.out.println("no report in " + dir);
        continue;
      }
      System.out.println("report " + dir + " (written " + Files.getLastModifiedTime(dir.resolve("mutations.xml")) + ")");
      Matcher m = MUTATION.matcher(Files.readString(dir.resolve("mutations.xml")));
      while (m.find()) {
        String cls = m.group(2);
        String pkg = cls.substring(0, cls.lastIndexOf('.'));
        int[] c = byPackage.computeIfAbsent(pkg, k -> new int[2]);
        String status = m.group(1);
        if (!status.equals("SURVIVED") && !status.equals("NO_COVERAGE")) c[0]++;
        c[1]++;
      }
      Path index = dir.resolve("index.html");
      if (Files.exists(index)) {
        Matcher r = PACKAGE_ROW.matcher(Files.readString(index));
        while (r.find()) lines.put(r.group(1), new int[] {Integer.parseInt(r.group(2)), Integer.parseInt(r.group(3))});
      }
    }
    System.out.printf("%-24s %9s %9s %7s   %s%n", "package", "killed", "mutants", "score", "line coverage");
    int[] all = new int[4], core = new int[4]; // killed, mutants, covered lines, lines
    for (var e : byPackage.entrySet()) {
      int[] c = e.getValue(), l = lines.get(e.getKey());
      boolean inCore = e.getKey().startsWith("org.pal.core") || e.getKey().startsWith("org.pal.models");
      for (int[] sum : inCore ? new int[][] {all, core} : new int[][] {all}) {
        sum[0] += c[0];
        sum[1] += c[1];
        if (l != null) { sum[2] += l[0]; sum[3] += l[1]; }
      }
      System.out.printf("%-24s %9d %9d %6.1f%%   %s%n", e.getKey(), c[0], c[1], 100.0 * c[0] / c[1], l == null ? "" : pct(l[0], l[1]));
    }
    if (core[1] > 0 && core[1] < all[1]) total("pal-core + pal-models", core);
    total("all", all);
  }

  private static void total(String name, int[] s) {
    System.out.printf("%-24s %9d %9d %6.1f%%   %s%n", name, s[0], s[1], 100.0 * s[0] / Math.max(s[1], 1), s[3] == 0 ? "" : pct(s[2], s[3]));
  }

  private static String pct(int a, int b) {
    return String.format("%d/%d (%.1f%%)", a, b, 100.0 * a / b);
  }
}
