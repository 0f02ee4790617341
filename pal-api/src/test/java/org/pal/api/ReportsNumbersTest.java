package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;
import org.pal.core.experiment.RunResult;
import org.pal.core.model.PalModel;

/**
 * An experiment's report on hand-made run results: the table, results.csv, report.md and the
 * settings summary recounted here (mean and sample std over seeds, absent values left empty), and
 * the plots read back: every bar's height through the plot's own axis labels, every curve point at
 * its number, every user's dot at the weighted average of the prototype vertices.
 */
class ReportsNumbersTest {
  static RunResult run(int k, long seed, double seen, Double unseen, Double zero, double secs, double pps, Map<Integer, Double> curve) {
    return new RunResult("pal-a", k, seed, seen, unseen, zero, secs, pps, 10, 7, 0.8, 100, 20, 30, curve);
  }

  static final List<RunResult> RUNS = List.of(
      run(1, 0, 0.80, 0.70, 0.60, 2.0, 1000, Map.of(1, 0.55, 5, 0.65)),
      run(1, 1, 0.84, 0.74, 0.62, 4.0, 3000, Map.of(1, 0.57, 5, 0.69)),
      run(2, 0, 0.90, 0.81, 0.66, 3.0, 2000, Map.of(1, 0.60, 5, 0.75)),
      run(2, 1, 0.93, 0.86, 0.64, 5.0, 2500, Map.of(1, 0.62, 5, 0.80)));
  /** No unseen users: unseen and zero-shot absent. */
  static final List<RunResult> SEEN_ONLY = List.of(run(3, 0, 0.7, null, null, 1.0, 500, null), run(3, 1, 0.9, null, null, 3.0, 700, null));

  static double mean(double... v) {
    double s = 0;
    for (double x : v) s += x;
    return s / v.length;
  }

  static double std(double... v) {
    double m = mean(v), s = 0;
    for (double x : v) s += (x - m) * (x - m);
    return Math.sqrt(s / Math.max(1, v.length - 1));
  }

  static String ms(double... v) {
    return String.format(Locale.ROOT, "%.4f ± %.4f", mean(v), std(v));
  }

  @Test
  void theTableAndTheFilesPrintMeansAndStdsOverSeeds(@TempDir Path dir) throws Exception {
    List<RunResult> all = new ArrayList<>(RUNS);
    // the seen-only group with empty curves: Reports.unseenCurve reads every run's curve once any run has one
    for (RunResult r : SEEN_ONLY) all.add(run(3, r.seed(), r.seenAccuracy(), null, null, r.trainSeconds(), r.pairsPerSecond(), Map.of()));
    String table = Reports.table(all);
    String[] lines = table.split("\n");
    assertThat(lines).hasSize(5);
    assertThat(lines[1]).startsWith("pal-a   1    ").contains(ms(0.80, 0.84), ms(0.70, 0.74), ms(0.60, 0.62), " 3.0 ").endsWith(" 2000");
    assertThat(lines[2]).contains(ms(0.90, 0.93), ms(0.81, 0.86), ms(0.66, 0.64), " 4.0 ").endsWith(" 2250");
    assertThat(lines[3]).startsWith("pal-a   3    ").contains(ms(0.7, 0.9), "absent", " 2.0 ").endsWith(" 600");
    assertThat(lines[4]).isEqualTo("(mean ± std over seeds [0, 1])");

    Reports.write(dir, "Toy study", "pal experiment toy", all, Map.of("d", 1), Map.of("k", 2));
    assertThat(Files.readString(dir.resolve("table.txt"))).isEqualTo(table);
    JsonNode results = Json.parse(Files.readString(dir.resolve("results.json")));
    assertThat(results).hasSize(6);
    assertThat(results.get(1).get("seenAccuracy").asDouble()).isEqualTo(0.84);
    assertThat(Json.parse(Files.readString(dir.resolve("config.json"))).get("k").asInt()).isEqualTo(2);
    assertThat(Json.parse(Files.readString(dir.resolve("dataset.json"))).get("d").asInt()).isEqualTo(1);
    List<String> csv = Files.readAllLines(dir.resolve("results.csv"));
    assertThat(csv.get(0)).isEqualTo("model,k,runs,seen_mean,seen_std,unseen_mean,unseen_std,zero_shot_mean,zero_shot_std,train_seconds_mean,pairs_per_second_mean");
    assertThat(csv.get(1)).isEqualTo(String.format(Locale.ROOT, "pal-a,1,2,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f,%.0f",
        mean(0.80, 0.84), std(0.80, 0.84), mean(0.70, 0.74), std(0.70, 0.74), mean(0.60, 0.62), std(0.60, 0.62), 3.0, 2000.0));
    assertThat(csv.get(2)).isEqualTo(String.format(Locale.ROOT, "pal-a,2,2,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f,%.0f",
        mean(0.90, 0.93), std(0.90, 0.93), mean(0.81, 0.86), std(0.81, 0.86), mean(0.66, 0.64), std(0.66, 0.64), 4.0, 2250.0));
    assertThat(csv.get(3)).as("absent numbers are empty, never NaN").isEqualTo(String.format(Locale.ROOT, "pal-a,3,2,%.6f,%.6f,,,,,2.000,600", 0.8, std(0.7, 0.9)));
    String md = Files.readString(dir.resolve("report.md"));
    assertThat(md).startsWith("# Toy study\n").contains("```\npal experiment toy\n```");
    assertThat(md).contains(String.format(Locale.ROOT, "| pal-a | 2 | %s | %s | %s | 4.0 | 2250 |", ms(0.90, 0.93), ms(0.81, 0.86), ms(0.66, 0.64)));
    assertThat(md).contains(String.format(Locale.ROOT, "| pal-a | 3 | %s | absent | absent | 2.0 | 600 |", ms(0.7, 0.9)));
    assertThat(md).contains("![unseen accuracy against enrolment comparisons](unseen-vs-comparisons.svg)", "(users-K1.svg)", "(users-K2.svg)", "(users-K3.svg)");
    assertThat(dir.resolve("unseen-vs-comparisons.svg")).exists();
    assertThat(dir.resolve("accuracy-vs-k.svg")).exists();

    Path other = dir.resolve("seen-only");
    Reports.write(other, "Seen only", "c", SEEN_ONLY, Map.of(), Map.of());
    assertThat(other.resolve("unseen-vs-comparisons.svg")).doesNotExist();
    assertThat(Files.readString(other.resolve("report.md"))).doesNotContain("unseen-vs-comparisons");
  }

  @Test
  void theSettingsSummaryPrintsEachSettingsNumbers(@TempDir Path dir) throws Exception {
    Map<String, List<RunResult>> all = new LinkedHashMap<>();
    all.put("wide", RUNS);
    all.put("narrow", SEEN_ONLY);
    Reports.writeSettings(dir, "Knobs", "pal experiment knobs", all);
    List<String> csv = Files.readAllLines(dir.resolve("summary.csv"));
    assertThat(csv).containsExactly("setting,model,k,runs,seen_mean,seen_std,unseen_mean,unseen_std,zero_shot_mean,zero_shot_std",
        String.format(Locale.ROOT, "wide,pal-a,1,2,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f", mean(0.80, 0.84), std(0.80, 0.84), mean(0.70, 0.74), std(0.70, 0.74), mean(0.60, 0.62), std(0.60, 0.62)),
        String.format(Locale.ROOT, "wide,pal-a,2,2,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f", mean(0.90, 0.93), std(0.90, 0.93), mean(0.81, 0.86), std(0.81, 0.86), mean(0.66, 0.64), std(0.66, 0.64)),
        String.format(Locale.ROOT, "narrow,pal-a,3,2,%.6f,%.6f,,,,", 0.8, std(0.7, 0.9)));
    String md = Files.readString(dir.resolve("report.md"));
    assertThat(md).startsWith("# Knobs: settings compared\n").contains("pal experiment knobs");
    assertThat(md).contains(String.format(Locale.ROOT, "| [wide](wide/report.md) | pal-a | 1 | %s | %s | %s |", ms(0.80, 0.84), ms(0.70, 0.74), ms(0.60, 0.62)));
    assertThat(md).contains(String.format(Locale.ROOT, "| [narrow](narrow/report.md) | pal-a | 3 | %s | absent | absent |", ms(0.7, 0.9)));
    // bars: one per (setting, K), height proportional to seen accuracy above the axis' floor
    String svg = Files.readString(dir.resolve("settings.svg"));
    Axis ax = Axis.of(svg);
    Matcher m = Pattern.compile("<rect x='([0-9.]+)' y='([0-9.]+)' width='20' height='([0-9.]+)' fill='[^']+'><title>([a-z]+) K=(\\d): ([0-9.]+)</title>").matcher(svg);
    Map<String, Double> want = Map.of("wide1", mean(0.80, 0.84), "wide2", mean(0.90, 0.93), "narrow3", 0.8);
    List<Double> xs = new ArrayList<>();
    int n = 0;
    while (m.find()) {
      double v = want.get(m.group(4) + m.group(5));
      assertThat(Double.parseDouble(m.group(6))).isCloseTo(v, within(1e-4));
      ax.checkBar(Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)), v);
      xs.add(Double.parseDouble(m.group(1)));
      n++;
    }
    assertThat(n).isEqualTo(3);
    // K columns 22 px apart inside a group; groups 30 + 22 * 3 px apart
    assertThat(xs.get(1) - xs.get(0)).isCloseTo(22.0, within(0.01));
    assertThat(xs.get(2) - xs.get(0)).isCloseTo(96 + 2 * 22, within(0.01));
    assertThat(svg).contains(">K=1</text>", ">K=2</text>", ">K=3</text>");
  }

  /** A y axis read from its labels: six ticks from the floor to 1.0 between y = 300 and y = 60. */
  record Axis(double lo, double hi, double y0, double ph) {
    static Axis of(String svg) {
      Matcher t = Pattern.compile("<text x='55' y='([0-9.]+)' text-anchor='end'>([0-9.]+)</text>").matcher(svg);
      List<double[]> ticks = new ArrayList<>();
      while (t.find()) ticks.add(new double[] {Double.parseDouble(t.group(1)) - 4, Double.parseDouble(t.group(2))});
      assertThat(ticks).hasSize(6);
      for (int i = 1; i < 6; i++) {
        assertThat(ticks.get(i)[0] - ticks.get(i - 1)[0]).as("even tick spacing").isCloseTo(-48.0, within(0.06));
      }
      assertThat(ticks.get(5)[1]).isEqualTo(1.0);
      return new Axis(ticks.get(0)[1], 1.0, ticks.get(0)[0], ticks.get(0)[0] - ticks.get(5)[0]);
    }

    double y(double v) {
      return y0 - (v - lo) / (hi - lo) * ph;
    }

    void checkBar(double top, double height, double v) {
      assertThat(top).as("bar top for " + v).isCloseTo(y(v), within(0.6));
      assertThat(top + height).as("bar bottom for " + v).isCloseTo(y0, within(0.1));
    }
  }

  @Test
  void accuracyBarsAndErrorBarsStandForTheirNumbers() {
    String svg = Reports.accuracyVsK(RUNS, "T & <U>");
    assertThat(svg).contains("T &amp; &lt;U&gt;: accuracy against K");
    Axis ax = Axis.of(svg);
    // the floor: the lowest (mean - std) floored to a tenth, minus 0.05
    double low = Math.min(mean(0.60, 0.62) - std(0.60, 0.62), mean(0.66, 0.64) - std(0.66, 0.64));
    assertThat(ax.lo()).isCloseTo(Math.floor(low * 10) / 10 - 0.05, within(0.005));
    Matcher m = Pattern.compile("<rect x='([0-9.]+)' y='([0-9.]+)' width='22' height='([0-9.]+)' fill='[^']+'><title>([a-z() -]+) K=(\\d): ([0-9.]+) ± ([0-9.]+)</title></rect>\n"
        + "<line x1='([0-9.]+)' x2='[0-9.]+' y1='([0-9.]+)' y2='([0-9.]+)'").matcher(svg);
    double[][] seen = {{0.80, 0.84}, {0.90, 0.93}}, unseen = {{0.70, 0.74}, {0.81, 0.86}}, zero = {{0.60, 0.62}, {0.66, 0.64}};
    int n = 0;
    while (m.find()) {
      int k = Integer.parseInt(m.group(5));
      double[] v = switch (m.group(4)) {
        case "seen" -> seen[k - 1];
        case "unseen (few-shot)" -> unseen[k - 1];
        default -> zero[k - 1];
      };
      double x = Double.parseDouble(m.group(1));
      int j = m.group(4).equals("seen") ? 0 : m.group(4).startsWith("unseen") ? 1 : 2;
      assertThat(x).as("bar x").isCloseTo(80 + (k - 1) * 90 + j * 24, within(0.01));
      ax.checkBar(Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)), mean(v));
      assertThat(Double.parseDouble(m.group(6))).isCloseTo(mean(v), within(1e-4));
      assertThat(Double.parseDouble(m.group(7))).isCloseTo(std(v), within(1e-4));
      assertThat(Double.parseDouble(m.group(8))).as("error bar centred on the bar").isCloseTo(x + 11, within(0.01));
      assertThat(Double.parseDouble(m.group(9))).as("error bar top").isCloseTo(ax.y(Math.min(1, mean(v) + std(v))), within(0.6));
      assertThat(Double.parseDouble(m.group(10))).as("error bar bottom").isCloseTo(ax.y(Math.max(ax.lo(), mean(v) - std(v))), within(0.6));
      n++;
    }
    assertThat(n).isEqualTo(6);
    assertThat(svg).contains("<text x='115' y='320' text-anchor='middle'>K=1</text>", "<text x='205' y='320' text-anchor='middle'>K=2</text>");
  }

  @Test
  void curvePointsStandForTheirNumbers() {
    String svg = Reports.unseenCurve(RUNS, "Toy");
    Axis ax = Axis.of(svg);
    assertThat(ax.lo()).isEqualTo(0.4);
    Matcher m = Pattern.compile("<circle cx='([0-9.]+)' cy='([0-9.]+)' r='3' fill='[^']+'><title>pal-a K=(\\d), (\\d) comparisons: ([0-9.]+)</title>").matcher(svg);
    Map<String, Double> want = Map.of("1/1", mean(0.55, 0.57), "1/5", mean(0.65, 0.69), "2/1", mean(0.60, 0.62), "2/5", mean(0.75, 0.80));
    int n = 0;
    while (m.find()) {
      double v = want.get(m.group(3) + "/" + m.group(4));
      assertThat(Double.parseDouble(m.group(5))).isCloseTo(v, within(1e-4));
      assertThat(Double.parseDouble(m.group(1))).as("x: first and last shots at the ends").isCloseTo(m.group(4).equals("1") ? 60 : 500, within(0.01));
      assertThat(Double.parseDouble(m.group(2))).isCloseTo(ax.y(v), within(0.6));
      n++;
    }
    assertThat(n).isEqualTo(4);
    assertThat(svg).contains("<text x='60.0' y='320' text-anchor='middle'>1</text>", "<text x='500.0' y='320' text-anchor='middle'>5</text>");
    // a single shot count sits in the middle
    String one = Reports.unseenCurve(List.of(run(1, 0, 0.8, 0.7, 0.6, 1, 1, Map.of(3, 0.9))), "One");
    assertThat(one).contains("<circle cx='280.0'", "<text x='280.0' y='320' text-anchor='middle'>3</text>");
    // a run without a curve (null: a seen-only run) beside one with a curve: drawn from the runs that have it
    String mixed = Reports.unseenCurve(List.of(run(1, 0, 0.8, 0.7, 0.6, 1, 1, Map.of(3, 0.9)), run(1, 1, 0.8, null, null, 1, 1, null)), "Mixed");
    assertThat(mixed).contains("<circle cx='280.0'", "K=1, 3 comparisons: 0.9000");
  }

  /** A seed's split file names its users and counts; the pair file codes each pair by the split that holds it. */
  @Test
  void theSplitFilesRecordEachPairsPart(@TempDir Path dir) throws Exception {
    Dataset data = PalApi.create().dataset(Json.parse("{\"type\": \"synthetic\", \"dim\": 3, \"users\": 6, \"pairs\": 10,"
        + " \"testPairs\": 4, \"unseenUsers\": 2, \"unseenPairs\": 5}"), 4);
    org.pal.core.data.SplitDataset s = data.split();
    Reports.writeSplit(dir, 4, s);
    JsonNode j = Json.parse(Files.readString(dir.resolve("splits/seed-4.json")));
    assertThat(j.get("seed").asLong()).isEqualTo(4);
    assertThat(Json.mapper().convertValue(j.get("seenUsers"), List.class)).isEqualTo(s.ids(s.seenUsers()));
    assertThat(Json.mapper().convertValue(j.get("unseenUsers"), List.class)).isEqualTo(s.ids(s.unseenUsers())).hasSize(2);
    assertThat(j.get("pairs").get("train").asInt()).isEqualTo(s.train().length);
    assertThat(j.get("pairs").get("validation").asInt()).isEqualTo(s.validation().length);
    assertThat(j.get("pairs").get("test").asInt()).isEqualTo(s.test().length);
    assertThat(j.get("pairs").get("unseen").asInt()).isEqualTo(s.unseen().length);
    assertThat(j.get("pairSplitFile").asText()).startsWith("seed-4-pair_split.npy");
    int n = s.data().pairs().size();
    org.pal.core.archive.Npy.IntMatrix codes = org.pal.core.archive.Npy.readInts(dir.resolve("splits/seed-4-pair_split.npy"));
    assertThat(codes.rows()).isEqualTo(n);
    assertThat(codes.cols()).isEqualTo(1);
    int[][] parts = {s.train(), s.validation(), s.test(), s.unseen()};
    int[] count = new int[5];
    for (int p = 0; p < n; p++) {
      int want = -1;
      for (int c = 0; c < 4; c++) for (int q : parts[c]) if (q == p) want = c;
      assertThat(codes.values()[p]).as("pair " + p).isEqualTo(want);
      count[want + 1]++;
    }
    assertThat(count[0] + count[1] + count[2] + count[3] + count[4]).isEqualTo(n);
    assertThat(count[1] * count[2] * count[3] * count[4]).as("every part holds pairs").isPositive();
  }

  /** Each user's dot is Σ_j w_j v_j over the prototype vertices on a regular polygon of radius 160 around (330, 225). */
  @Test
  void usersSitAtTheirWeightedVertexAverage() {
    PalApi pal = PalApi.create();
    PalModel m = PalModel.build(pal.registry(), PalConfig.parse("{\"model\": {\"type\": \"pal-a\", \"k\": 3, \"dim\": 2}}"), 2, 0,
        List.of("ann", "bob<"), DataType.DOUBLE);
    m.users().value().set(0, 0, 2.0);
    m.users().value().set(1, 2, 1.0);
    m.users().value().set(1, 1, -1.0);
    String svg = Reports.simplexView(m, "S");
    double[][] w = m.weightsOf(m.users());
    double[][] v = new double[3][2];
    for (int j = 0; j < 3; j++) {
      double a = -Math.PI / 2 + 2 * Math.PI * j / 3;
      v[j][0] = 330 + 160 * Math.cos(a);
      v[j][1] = 225 + 160 * Math.sin(a);
      assertThat(svg).contains(String.format(Locale.ROOT, "<rect x='%.1f' y='%.1f' width='10' height='10' fill='black'/>", v[j][0] - 5, v[j][1] - 5));
    }
    assertThat(svg).contains(String.format(Locale.ROOT, "<polygon points='%.1f,%.1f %.1f,%.1f %.1f,%.1f'", v[0][0], v[0][1], v[1][0], v[1][1], v[2][0], v[2][1]));
    String[] colours = {"#4C72B0", "#DD8452", "#55A868"};
    for (int i = 0; i < 2; i++) {
      double x = 0, y = 0;
      int arg = 0;
      for (int j = 0; j < 3; j++) {
        x += w[i][j] * v[j][0];
        y += w[i][j] * v[j][1];
        if (w[i][j] > w[i][arg]) arg = j;
      }
      assertThat(svg).contains(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s'", x, y, colours[arg]));
    }
    assertThat(svg).contains("<title>bob&lt;</title>", ">prototype 0</text>", ">prototype 2</text>");
    // label above the top vertex, below the others
    assertThat(svg).contains(String.format(Locale.ROOT, "<text x='%.1f' y='%.1f' text-anchor='middle'>prototype 0</text>", v[0][0], v[0][1] - 10));
    assertThat(svg).contains(String.format(Locale.ROOT, "<text x='%.1f' y='%.1f' text-anchor='middle'>prototype 1</text>", v[1][0], v[1][1] + 22));
    // K = 1: no polygon, every user at the centre
    PalModel one = PalModel.build(pal.registry(), PalConfig.parse("{\"model\": {\"type\": \"pal-a\", \"k\": 1, \"dim\": 2}}"), 2, 0, List.of("u"), DataType.DOUBLE);
    String s1 = Reports.simplexView(one, "One");
    assertThat(s1).doesNotContain("<polygon").contains("<circle cx='330.0' cy='225.0'");
  }
}
