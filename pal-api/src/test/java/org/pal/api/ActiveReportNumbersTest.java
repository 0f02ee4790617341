package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.config.Json;

/**
 * The active study's report on hand-made results: every mean and standard deviation it prints
 * (json, csv, markdown) recounted here, and every point of its plot mapped back through the plot's
 * own axis labels to the number it stands for.
 */
class ActiveReportNumbersTest {
  // two seeds of K = 2 (users: 2 then 3) and one seed of K = 4; curves of 3 points (t = 0, 1, 2)
  static final ActiveStudy.Result S1 = new ActiveStudy.Result(1, 2, List.of("a", "b"),
      new double[][] {{0.5, 0.7, 0.9}, {0.6, 0.6, 0.8}}, new double[][] {{0.5, 0.55, 0.6}, {0.6, 0.65, 0.7}});
  static final ActiveStudy.Result S2 = new ActiveStudy.Result(2, 2, List.of("c", "d", "e"),
      new double[][] {{0.4, 0.8, 1.0}, {0.5, 0.5, 0.6}, {0.3, 0.6, 0.7}}, new double[][] {{0.4, 0.4, 0.5}, {0.5, 0.6, 0.6}, {0.3, 0.3, 0.4}});
  static final ActiveStudy.Result S3 = new ActiveStudy.Result(1, 4, List.of("f"),
      new double[][] {{0.2, 0.9, 0.95}}, new double[][] {{0.2, 0.3, 0.5}});

  static double mean(double... v) {
    double s = 0;
    for (double x : v) s += x;
    return s / v.length;
  }

  /** Sample standard deviation (n - 1), 0 for one value. */
  static double std(double... v) {
    if (v.length < 2) return 0;
    double m = mean(v), s = 0;
    for (double x : v) s += (x - m) * (x - m);
    return Math.sqrt(s / (v.length - 1));
  }

  @Test
  void curvesAreMeansOverUserRunsWithSpreadsOverSeedsAndUsers() {
    ActiveReport.Curves c = ActiveReport.aggregate(List.of(S1, S2));
    assertThat(c.k()).isEqualTo(2);
    assertThat(c.seeds()).isEqualTo(2);
    assertThat(c.users()).isEqualTo(5);
    for (int t = 0; t < 3; t++) {
      for (boolean active : new boolean[] {true, false}) {
        double[][] a = active ? S1.active() : S1.random(), b = active ? S2.active() : S2.random();
        double[] all = {a[0][t], a[1][t], b[0][t], b[1][t], b[2][t]};
        double seedA = mean(a[0][t], a[1][t]), seedB = mean(b[0][t], b[1][t], b[2][t]);
        ActiveReport.Point p = active ? c.active(t) : c.random(t);
        String what = (active ? "active" : "random") + " t=" + t;
        assertThat(p.t()).isEqualTo(t);
        assertThat(p.mean()).as(what + " mean").isCloseTo(mean(all), within(1e-12));
        assertThat(p.stdSeeds()).as(what + " std over seeds").isCloseTo(std(seedA, seedB), within(1e-12));
        assertThat(p.stdUsers()).as(what + " std over users").isCloseTo(std(all), within(1e-12));
      }
    }
    assertThat(S2.meanActive()).containsExactly(new double[] {0.4, mean(0.8, 0.5, 0.6), mean(1.0, 0.6, 0.7)}, within(1e-12));
    assertThat(S2.meanRandom()).containsExactly(new double[] {0.4, mean(0.4, 0.6, 0.3), mean(0.5, 0.6, 0.4)}, within(1e-12));
  }

  @Test
  void theFilesPrintTheSameNumbers(@TempDir Path dir) throws Exception {
    ActiveStudy.Options opts = new ActiveStudy.Options(12, 2, new UserPosterior.Options(0.75, 30), ActiveQuery.Criterion.BALD);
    String md = ActiveReport.write(dir, "toy", "pal experiment toy --active", Map.of(2, List.of(S1, S2), 4, List.of(S3)), opts);
    assertThat(Files.readString(dir.resolve("active.md"))).isEqualTo(md);
    JsonNode j = Json.parse(Files.readString(dir.resolve("active.json")));
    assertThat(j.get("pool").asInt()).isEqualTo(12);
    assertThat(j.get("questions").asInt()).isEqualTo(2);
    assertThat(j.get("priorStd").asDouble()).isEqualTo(0.75);
    assertThat(j.get("criterion").asText()).isEqualTo("BALD");
    assertThat(j.get("runs")).hasSize(3);
    for (JsonNode r : j.get("runs")) {
      ActiveStudy.Result src = r.get("k").asInt() == 4 ? S3 : r.get("seed").asLong() == 1 ? S1 : S2;
      assertThat(r.get("users").asInt()).isEqualTo(src.users().size());
      for (int t = 0; t < 3; t++) {
        assertThat(r.get("active").get(t).asDouble()).isCloseTo(src.meanActive()[t], within(1e-12));
        assertThat(r.get("random").get(t).asDouble()).isCloseTo(src.meanRandom()[t], within(1e-12));
      }
    }
    List<String> csv = Files.readAllLines(dir.resolve("active.csv"));
    assertThat(csv.get(0)).isEqualTo("k,strategy,questions,mean,std_seeds,std_users");
    assertThat(csv).hasSize(1 + 2 * 3 * 2);
    ActiveReport.Curves k2 = ActiveReport.aggregate(List.of(S1, S2)), k4 = ActiveReport.aggregate(List.of(S3));
    for (String line : csv.subList(1, csv.size())) {
      String[] f = line.split(",");
      ActiveReport.Curves c = f[0].equals("2") ? k2 : k4;
      int t = Integer.parseInt(f[2]);
      ActiveReport.Point p = f[1].equals("active") ? c.active(t) : c.random(t);
      assertThat(Double.parseDouble(f[3])).as(line).isCloseTo(p.mean(), within(1e-6));
      assertThat(Double.parseDouble(f[4])).as(line).isCloseTo(p.stdSeeds(), within(1e-6));
      assertThat(Double.parseDouble(f[5])).as(line).isCloseTo(p.stdUsers(), within(1e-6));
    }
    assertThat(md).contains("## K = 2 (2 seeds, 5 user-runs)", "## K = 4 (1 seeds, 1 user-runs)", "prior std 0.75", "criterion BALD",
        "first 12 comparisons", "`pal experiment toy --active`");
    assertThat(md).contains(String.format(java.util.Locale.ROOT, "| 1 | %.4f ± %.4f (%.3f) | %.4f ± %.4f (%.3f) |",
        k2.active(1).mean(), k2.active(1).stdSeeds(), k2.active(1).stdUsers(), k2.random(1).mean(), k2.random(1).stdSeeds(), k2.random(1).stdUsers()));
    // with 2 questions, "after 10" and "after 20" are both the last point
    assertThat(md).contains(String.format(java.util.Locale.ROOT, "Active after 2 questions: %.4f; random after 2: %.4f (active reaches it)",
        k2.active(2).mean(), k2.random(2).mean()));
    assertThat(md).contains("![K = 4](active-K4.svg)");
    ActiveStudy.Result behind = new ActiveStudy.Result(1, 3, List.of("g"), new double[][] {{0.5, 0.5, 0.5}}, new double[][] {{0.5, 0.6, 0.7}});
    assertThat(ActiveReport.write(dir, "toy", "c", Map.of(3, List.of(behind)), opts)).contains("(active falls short)");
    for (int k : new int[] {2, 4}) assertThat(dir.resolve("active-K" + k + ".svg")).exists();
  }

  private static final Pattern TICK = Pattern.compile("<text x=\"54\" y=\"(-?\\d+)\" text-anchor=\"end\">([0-9.]+)</text>");
  private static final Pattern XTICK = Pattern.compile("<text x=\"(\\d+)\" y=\"356\" text-anchor=\"middle\">(\\d+)</text>");
  private static final Pattern POLYLINE = Pattern.compile("<polyline points=\"([^\"]+)\" fill=\"none\" stroke=\"(#[0-9a-f]+)\"");
  private static final Pattern POLYGON = Pattern.compile("<polygon points=\"([^\"]+)\" fill=\"(#[0-9a-f]+)\"");

  /** The plot's points, read back through its own axis labels, are the curves' numbers. */
  @Test
  void everyPlottedPointIsItsNumber() {
    ActiveReport.Curves c = ActiveReport.aggregate(List.of(S1, S2));
    String svg = ActiveReport.svg(c, "a <b> & c");
    assertThat(svg).contains("a &lt;b&gt; &amp; c").startsWith("<svg").endsWith("</svg>\n");
    // y axis: five labels, evenly spaced, from the lowest band edge (floored to 0.05) up
    Matcher m = TICK.matcher(svg);
    double[] ys = new double[5], vs = new double[5];
    int n = 0;
    while (m.find()) {
      ys[n] = Integer.parseInt(m.group(1)) - 4;
      vs[n++] = Double.parseDouble(m.group(2));
    }
    assertThat(n).isEqualTo(5);
    double lo = 1, hi = 0;
    for (ActiveReport.Point p : c.active()) { lo = Math.min(lo, p.mean() - p.stdSeeds()); hi = Math.max(hi, p.mean() + p.stdSeeds()); }
    for (ActiveReport.Point p : c.random()) { lo = Math.min(lo, p.mean() - p.stdSeeds()); hi = Math.max(hi, p.mean() + p.stdSeeds()); }
    assertThat(vs[0]).isCloseTo(Math.floor(lo * 20) / 20, within(0.005));
    assertThat(vs[4]).isCloseTo(Math.ceil(hi * 20) / 20, within(0.005));
    assertThat(ys[0]).isEqualTo(340);
    assertThat(ys[4]).isEqualTo(40);
    double perUnit = (ys[0] - ys[4]) / (vs[4] - vs[0]);
    // x axis: questions 0..2 at even steps over the plot's width
    Matcher xm = XTICK.matcher(svg);
    int xt = 0;
    while (xm.find()) {
      assertThat(Integer.parseInt(xm.group(1))).isEqualTo(60 + Integer.parseInt(xm.group(2)) * 270);
      xt++;
    }
    assertThat(xt).isEqualTo(3);
    Matcher pl = POLYLINE.matcher(svg), pg = POLYGON.matcher(svg);
    for (List<ActiveReport.Point> curve : List.of(c.active(), c.random())) {
      assertThat(pl.find()).isTrue();
      assertThat(pg.find()).isTrue();
      String[] line = pl.group(1).split(" "), band = pg.group(1).split(" ");
      assertThat(line).hasSize(3);
      assertThat(band).hasSize(6);
      for (int t = 0; t < 3; t++) {
        ActiveReport.Point p = curve.get(t);
        checkPoint(line[t], 60 + t * 270, p.mean(), ys[0], vs[0], perUnit);
        checkPoint(band[t], 60 + t * 270, p.mean() + p.stdSeeds(), ys[0], vs[0], perUnit);
        checkPoint(band[5 - t], 60 + t * 270, p.mean() - p.stdSeeds(), ys[0], vs[0], perUnit);
      }
    }
  }

  private static void checkPoint(String xy, double x, double v, double y0, double v0, double perUnit) {
    String[] p = xy.split(",");
    assertThat(Double.parseDouble(p[0])).as("x of " + xy).isCloseTo(x, within(0.05));
    assertThat(Double.parseDouble(p[1])).as("y of " + xy + " for " + v).isCloseTo(y0 - (v - v0) * perUnit, within(0.6));
  }

  @Test
  void optionsAreChecked() {
    assertThatThrownBy(() -> new ActiveStudy.Options(5, 0, null)).hasMessageContaining("active questions = 0");
    assertThatThrownBy(() -> new ActiveStudy.Options(4, 5, null)).hasMessageContaining("active pool = 4");
    ActiveStudy.Options o = new ActiveStudy.Options(5, 5, null, null);
    assertThat(o.posterior()).isEqualTo(UserPosterior.Options.DEFAULT);
    assertThat(o.criterion()).isEqualTo(ActiveQuery.Criterion.PARTICLES); // the study's default since the particles won on fresh Persona seeds (BENCHMARKS)
  }
}
