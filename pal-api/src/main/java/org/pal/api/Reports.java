package org.pal.api;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import org.pal.core.archive.AtomicFiles;
import org.pal.core.archive.Npy;
import org.pal.core.config.Json;
import org.pal.core.data.SplitDataset;
import org.pal.core.experiment.RunResult;

/**
 * What an experiment leaves for a person: results.json (one object per run), results.csv and
 * table.txt (mean and std per setting), SVG plots (accuracy against K as in Figures 2 and 4; unseen
 * accuracy against the number of enrolment comparisons), each seed's split, and report.md tying the
 * table, the plots and the exact command together.
 */
public final class Reports {
  private Reports() {}

  public static String table(List<RunResult> runs) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-7s %-4s %-17s %-17s %-17s %-10s %s%n", "model", "K", "seen acc", "unseen acc", "zero-shot acc", "train s", "pairs/s"));
    for (List<RunResult> g : groups(runs).values()) {
      sb.append(String.format(Locale.ROOT, "%-7s %-4d %-17s %-17s %-17s %-10s %.0f%n", g.get(0).model(), g.get(0).k(),
          ms(g, RunResult::seenAccuracy), ms(g, RunResult::unseenAccuracy), ms(g, RunResult::zeroShotAccuracy),
          String.format(Locale.ROOT, "%.1f", mean(g, RunResult::trainSeconds)), mean(g, RunResult::pairsPerSecond)));
    }
    sb.append("(mean ± std over seeds ").append(runs.stream().map(r -> String.valueOf(r.seed())).distinct().toList()).append(")\n");
    return sb.toString();
  }

  static Map<String, List<RunResult>> groups(List<RunResult> runs) {
    Map<String, List<RunResult>> g = new LinkedHashMap<>();
    for (RunResult r : runs) g.computeIfAbsent(r.model() + "|" + r.k(), x -> new ArrayList<>()).add(r);
    return g;
  }

  /** Mean over seeds of the present values (NaN when none is present: a group without unseen users). */
  static double mean(List<RunResult> g, Function<RunResult, Double> f) {
    PalApi.Summary.Stat s = PalApi.Summary.stat(g.stream().map(f).toList());
    return s == null ? Double.NaN : s.mean();
  }

  static double std(List<RunResult> g, Function<RunResult, Double> f) {
    PalApi.Summary.Stat s = PalApi.Summary.stat(g.stream().map(f).toList());
    return s == null ? Double.NaN : s.std();
  }

  /** A CSV number, empty when absent (never the string NaN). */
  private static String num(double v, String fmt) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, fmt, v);
  }

  private static String ms(List<RunResult> g, Function<RunResult, Double> f) {
    if (Double.isNaN(mean(g, f))) return "absent";
    return String.format(Locale.ROOT, "%.4f ± %.4f", mean(g, f), std(g, f));
  }

  public static void writeSplit(Path out, long seed, SplitDataset s) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("seed", seed);
    j.put("seenUsers", s.ids(s.seenUsers()));
    j.put("unseenUsers", s.ids(s.unseenUsers()));
    j.put("pairs", Map.of("train", s.train().length, "validation", s.validation().length, "test", s.test().length, "unseen", s.unseen().length));
    j.put("pairSplitFile", "seed-" + seed + "-pair_split.npy (per pair: 0 train, 1 validation, 2 test, 3 unseen user)");
    AtomicFiles.writeString(out.resolve("splits/seed-" + seed + ".json"), Json.write(j));
    int[] code = new int[s.data().pairs().size()];
    java.util.Arrays.fill(code, -1);
    for (int i : s.train()) code[i] = 0;
    for (int i : s.validation()) code[i] = 1;
    for (int i : s.test()) code[i] = 2;
    for (int i : s.unseen()) code[i] = 3;
    Npy.writeInts(out.resolve("splits/seed-" + seed + "-pair_split.npy"), code.length, 1, code);
  }

  public static void write(Path out, String title, String command, List<RunResult> runs, Object dataset, Object config) {
    String table = table(runs);
    AtomicFiles.writeString(out.resolve("results.json"), Json.write(runs));
    AtomicFiles.writeString(out.resolve("table.txt"), table);
    AtomicFiles.writeString(out.resolve("config.json"), Json.write(config));
    AtomicFiles.writeString(out.resolve("dataset.json"), Json.write(dataset));
    StringBuilder csv = new StringBuilder("model,k,runs,seen_mean,seen_std,unseen_mean,unseen_std,zero_shot_mean,zero_shot_std,train_seconds_mean,pairs_per_second_mean\n");
    for (List<RunResult> g : groups(runs).values()) {
      csv.append(String.join(",", g.get(0).model(), String.valueOf(g.get(0).k()), String.valueOf(g.size()),
          num(mean(g, RunResult::seenAccuracy), "%.6f"), num(std(g, RunResult::seenAccuracy), "%.6f"),
          num(mean(g, RunResult::unseenAccuracy), "%.6f"), num(std(g, RunResult::unseenAccuracy), "%.6f"),
          num(mean(g, RunResult::zeroShotAccuracy), "%.6f"), num(std(g, RunResult::zeroShotAccuracy), "%.6f"),
          num(mean(g, RunResult::trainSeconds), "%.3f"), num(mean(g, RunResult::pairsPerSecond), "%.0f"))).append('\n');
    }
    AtomicFiles.writeString(out.resolve("results.csv"), csv.toString());
    AtomicFiles.writeString(out.resolve("accuracy-vs-k.svg"), accuracyVsK(runs, title));
    boolean curve = runs.stream().anyMatch(r -> r.unseenAccuracyByShots() != null && !r.unseenAccuracyByShots().isEmpty());
    if (curve) AtomicFiles.writeString(out.resolve("unseen-vs-comparisons.svg"), unseenCurve(runs, title));
    StringBuilder md = new StringBuilder();
    md.append("# ").append(title).append("\n\n");
    md.append("Command:\n\n```\n").append(command).append("\n```\n\n");
    md.append("Accuracies on held-out pairs (seen users' test pairs; unseen users after few-shot enrolment; zero-shot with the mean of seen users' weights), mean ± std over seeds:\n\n");
    md.append("| model | K | seen | unseen (few-shot) | zero-shot | train s | pairs/s |\n| --- | ---: | --- | --- | --- | ---: | ---: |\n");
    for (List<RunResult> g : groups(runs).values()) {
      md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %.1f | %.0f |%n", g.get(0).model(), g.get(0).k(),
          ms(g, RunResult::seenAccuracy), ms(g, RunResult::unseenAccuracy), ms(g, RunResult::zeroShotAccuracy), mean(g, RunResult::trainSeconds), mean(g, RunResult::pairsPerSecond)));
    }
    md.append("\n![accuracy against K](accuracy-vs-k.svg)\n");
    if (curve) md.append("\n![unseen accuracy against enrolment comparisons](unseen-vs-comparisons.svg)\n");
    for (List<RunResult> g : groups(runs).values()) {
      md.append("\n![users and prototypes, K = ").append(g.get(0).k()).append("](users-K").append(g.get(0).k()).append(".svg)\n");
    }
    md.append("\nFiles: `results.json` (every run), `results.csv` (per K), `config.json` (the model and trainer config), `dataset.json` (the dataset settings), `splits/` (each seed's users and pair split).\n");
    AtomicFiles.writeString(out.resolve("report.md"), md.toString());
  }

  /** The summary of a knob sweep: one row per (setting, K), a grouped chart, links to each setting's report. */
  public static void writeSettings(Path root, String title, String command, Map<String, List<RunResult>> all) {
    StringBuilder csv = new StringBuilder("setting,model,k,runs,seen_mean,seen_std,unseen_mean,unseen_std,zero_shot_mean,zero_shot_std\n");
    StringBuilder md = new StringBuilder("# " + title + ": settings compared\n\nCommand:\n\n```\n" + command + "\n```\n\n");
    md.append("| setting | model | K | seen | unseen (few-shot) | zero-shot |\n| --- | --- | ---: | --- | --- | --- |\n");
    for (var e : all.entrySet()) {
      for (List<RunResult> g : groups(e.getValue()).values()) {
        csv.append(String.join(",", e.getKey(), g.get(0).model(), String.valueOf(g.get(0).k()), String.valueOf(g.size()),
            num(mean(g, RunResult::seenAccuracy), "%.6f"), num(std(g, RunResult::seenAccuracy), "%.6f"),
            num(mean(g, RunResult::unseenAccuracy), "%.6f"), num(std(g, RunResult::unseenAccuracy), "%.6f"),
            num(mean(g, RunResult::zeroShotAccuracy), "%.6f"), num(std(g, RunResult::zeroShotAccuracy), "%.6f"))).append('\n');
        md.append(String.format(Locale.ROOT, "| [%s](%s/report.md) | %s | %d | %s | %s | %s |%n", e.getKey(), e.getKey(), g.get(0).model(), g.get(0).k(),
            ms(g, RunResult::seenAccuracy), ms(g, RunResult::unseenAccuracy), ms(g, RunResult::zeroShotAccuracy)));
      }
    }
    md.append("\n![seen accuracy by setting and K](settings.svg)\n");
    AtomicFiles.writeString(root.resolve("summary.csv"), csv.toString());
    AtomicFiles.writeString(root.resolve("settings.svg"), settingsChart(all, title));
    AtomicFiles.writeString(root.resolve("report.md"), md.toString());
  }

  /** Seen accuracy grouped by setting, one bar per K (Figure 4 a-c). */
  static String settingsChart(Map<String, List<RunResult>> all, String title) {
    TreeSet<Integer> ks = new TreeSet<>();
    for (List<RunResult> runs : all.values()) for (RunResult r : runs) ks.add(r.k());
    List<Integer> kl = new ArrayList<>(ks);
    int groupW = 30 + 22 * kl.size(), plotRight = 70 + all.size() * groupW, w = Math.max(plotRight + 160, 560), h = 380, x0 = 60, y0 = 300, ph = 240;
    double lo = 1;
    for (List<RunResult> runs : all.values()) for (List<RunResult> g : groups(runs).values()) lo = Math.min(lo, mean(g, RunResult::seenAccuracy));
    lo = Math.max(0, Math.floor(lo * 10) / 10 - 0.05);
    StringBuilder s = svgHead(w, h, title + ": seen accuracy by setting and K");
    axis(s, x0, y0, plotRight, ph, lo, 1.0);
    String[] pal = COLORS_K;
    int gi = 0;
    for (var e : all.entrySet()) {
      Map<Integer, List<RunResult>> byK = new java.util.TreeMap<>();
      for (RunResult r : e.getValue()) byK.computeIfAbsent(r.k(), x -> new ArrayList<>()).add(r);
      double gx = x0 + 15 + gi * groupW;
      for (int j = 0; j < kl.size(); j++) {
        List<RunResult> g = byK.get(kl.get(j));
        if (g == null) continue;
        double m = mean(g, RunResult::seenAccuracy), yTop = y(Math.max(lo, m), lo, y0, ph);
        s.append(String.format(Locale.ROOT, "<rect x='%.1f' y='%.1f' width='20' height='%.1f' fill='%s'><title>%s K=%d: %.4f</title></rect>%n",
            gx + j * 22, yTop, y0 - yTop, pal[j % pal.length], escape(e.getKey()), kl.get(j), m));
      }
      s.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' text-anchor='end' transform='rotate(-30 %.1f %d)' font-size='10'>%s</text>%n",
          gx + groupW / 2.0, y0 + 16, gx + groupW / 2.0, y0 + 16, escape(e.getKey())));
      gi++;
    }
    String[] names = kl.stream().map(k -> "K=" + k).toArray(String[]::new);
    legend(s, names, plotRight + 20, 60, pal);
    return s.append("</svg>\n").toString();
  }

  private static final String[] COLORS = {"#4C72B0", "#DD8452", "#55A868"};

  static String accuracyVsK(List<RunResult> runs, String title) {
    List<List<RunResult>> gs = new ArrayList<>(groups(runs).values());
    String[] names = {"seen", "unseen (few-shot)", "zero-shot"};
    List<Function<RunResult, Double>> fs = List.of(RunResult::seenAccuracy, RunResult::unseenAccuracy, RunResult::zeroShotAccuracy);
    double lo = 1;
    for (List<RunResult> g : gs) for (var f : fs) { double m = mean(g, f); if (!Double.isNaN(m)) lo = Math.min(lo, m - std(g, f)); }
    lo = Math.max(0, Math.floor(lo * 10) / 10 - 0.05);
    int plotRight = 80 + gs.size() * 90, w = Math.max(plotRight + 200, 560), h = 360, x0 = 60, y0 = 300, ph = 240;
    StringBuilder s = svgHead(w, h, title + ": accuracy against K");
    axis(s, x0, y0, plotRight, ph, lo, 1.0);
    for (int i = 0; i < gs.size(); i++) {
      List<RunResult> g = gs.get(i);
      for (int j = 0; j < 3; j++) {
        double m = mean(g, fs.get(j)), sd = std(g, fs.get(j));
        if (Double.isNaN(m)) continue;
        double x = x0 + 20 + i * 90 + j * 24, yTop = y(m, lo, y0, ph);
        s.append(String.format(Locale.ROOT, "<rect x='%.1f' y='%.1f' width='22' height='%.1f' fill='%s'><title>%s K=%d: %.4f ± %.4f</title></rect>%n",
            x, yTop, y0 - yTop, COLORS[j], names[j], g.get(0).k(), m, sd));
        double ya = y(Math.min(1, m + sd), lo, y0, ph), yb = y(Math.max(lo, m - sd), lo, y0, ph);
        s.append(String.format(Locale.ROOT, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='black'/>%n", x + 11, x + 11, ya, yb));
      }
      s.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle'>K=%d</text>%n", x0 + 20 + i * 90 + 35, y0 + 20, g.get(0).k()));
    }
    legend(s, names, plotRight + 20, 60);
    return s.append("</svg>\n").toString();
  }

  static String unseenCurve(List<RunResult> runs, String title) {
    TreeSet<Integer> xs = new TreeSet<>();
    for (RunResult r : runs) if (r.unseenAccuracyByShots() != null) xs.addAll(r.unseenAccuracyByShots().keySet());
    List<Integer> xl = new ArrayList<>(xs);
    List<List<RunResult>> gs = new ArrayList<>(groups(runs).values());
    int w = 700, h = 360, x0 = 60, y0 = 300, pw = 440, ph = 240;
    StringBuilder s = svgHead(w, h, title + ": unseen accuracy against enrolment comparisons");
    double lo = 0.4;
    axis(s, x0, y0, x0 + pw, ph, lo, 1.0);
    String[] pal = {"#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"};
    String[] names = new String[gs.size()];
    for (int gi = 0; gi < gs.size(); gi++) {
      List<RunResult> g = gs.get(gi);
      names[gi] = g.get(0).model() + " K=" + g.get(0).k();
      StringBuilder pts = new StringBuilder();
      for (int i = 0; i < xl.size(); i++) {
        int n = xl.get(i);
        double m = g.stream().filter(r -> r.unseenAccuracyByShots() != null && r.unseenAccuracyByShots().containsKey(n)).mapToDouble(r -> r.unseenAccuracyByShots().get(n)).average().orElse(Double.NaN);
        if (Double.isNaN(m)) continue;
        double x = x0 + (xl.size() == 1 ? pw / 2.0 : i * pw / (double) (xl.size() - 1));
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y(Math.max(lo, m), lo, y0, ph)));
        s.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s'><title>%s, %d comparisons: %.4f</title></circle>%n",
            x, y(Math.max(lo, m), lo, y0, ph), pal[gi % pal.length], names[gi], n, m));
      }
      s.append(String.format("<polyline points='%s' fill='none' stroke='%s' stroke-width='2'/>%n", pts.toString().trim(), pal[gi % pal.length]));
    }
    for (int i = 0; i < xl.size(); i++) {
      double x = x0 + (xl.size() == 1 ? pw / 2.0 : i * pw / (double) (xl.size() - 1));
      s.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' text-anchor='middle'>%d</text>%n", x, y0 + 20, xl.get(i)));
    }
    s.append(String.format("<text x='%d' y='%d' text-anchor='middle'>comparisons per new user</text>%n", x0 + pw / 2, y0 + 45));
    legend(s, names, x0 + pw + 30, 60, pal);
    return s.append("</svg>\n").toString();
  }

  /**
   * Learned users against the prototypes (as Figure 14): each user's point is the weighted average
   * of the prototype vertices placed on a regular polygon (for K = 3, exactly the simplex), so the
   * polygon is the prototypes' hull and a user's distance from a vertex shows how much of that
   * prototype they are.
   */
  public static String simplexView(org.pal.core.model.PalModel model, String title) {
    double[][] w = model.weightsOf(model.users());
    int k = model.k(), cx = 330, cy = 225, rad = 160;
    StringBuilder s = svgHead(660, 420, title + ": users in the prototypes' simplex");
    double[][] v = new double[k][2];
    for (int j = 0; j < k; j++) {
      double a = k == 1 ? 0 : -Math.PI / 2 + 2 * Math.PI * j / k;
      v[j][0] = cx + (k == 1 ? 0 : rad * Math.cos(a));
      v[j][1] = cy + (k == 1 ? 0 : rad * Math.sin(a));
    }
    if (k > 1) {
      StringBuilder poly = new StringBuilder();
      for (double[] p : v) poly.append(String.format(Locale.ROOT, "%.1f,%.1f ", p[0], p[1]));
      s.append(String.format("<polygon points='%s' fill='#f4f4f4' stroke='#999'/>%n", poly.toString().trim()));
    }
    for (int i = 0; i < w.length; i++) {
      double x = 0, yy = 0;
      int arg = 0;
      for (int j = 0; j < k; j++) { x += w[i][j] * v[j][0]; yy += w[i][j] * v[j][1]; if (w[i][j] > w[i][arg]) arg = j; }
      s.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s' fill-opacity='0.6'><title>%s</title></circle>%n",
          x, yy, COLORS_K[arg % COLORS_K.length], escape(model.userIds().get(i))));
    }
    for (int j = 0; j < k; j++) {
      s.append(String.format(Locale.ROOT, "<rect x='%.1f' y='%.1f' width='10' height='10' fill='black'/><text x='%.1f' y='%.1f' text-anchor='middle'>prototype %d</text>%n",
          v[j][0] - 5, v[j][1] - 5, v[j][0], v[j][1] + (v[j][1] < cy ? -10 : 22), j));
    }
    return s.append("</svg>\n").toString();
  }

  private static final String[] COLORS_K = {"#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"};

  private static double y(double v, double lo, int y0, int ph) {
    return y0 - (v - lo) / (1.0 - lo) * ph;
  }

  private static StringBuilder svgHead(int w, int h, String title) {
    StringBuilder s = new StringBuilder();
    s.append(String.format("<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' font-size='12'>%n", w, h + 20));
    s.append(String.format("<rect width='%d' height='%d' fill='white'/>%n", w, h + 20));
    s.append(String.format("<text x='%d' y='20' text-anchor='middle' font-size='14'>%s</text>%n", w / 2, escape(title)));
    return s;
  }

  private static void axis(StringBuilder s, int x0, int y0, int x1, int ph, double lo, double hi) {
    s.append(String.format("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", x0, y0, x1, y0));
    s.append(String.format("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", x0, y0, x0, y0 - ph));
    for (int i = 0; i <= 5; i++) {
      double v = lo + (hi - lo) * i / 5;
      double yy = y0 - ph * i / 5.0;
      s.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#ddd'/><text x='%d' y='%.1f' text-anchor='end'>%.2f</text>%n",
          x0, x1, yy, yy, x0 - 5, yy + 4, v));
    }
    s.append(String.format("<text x='15' y='%d' transform='rotate(-90 15 %d)' text-anchor='middle'>accuracy</text>%n", y0 - ph / 2, y0 - ph / 2));
  }

  private static void legend(StringBuilder s, String[] names, int x, int y) {
    legend(s, names, x, y, COLORS);
  }

  private static void legend(StringBuilder s, String[] names, int x, int y, String[] colors) {
    for (int i = 0; i < names.length; i++) {
      s.append(String.format("<rect x='%d' y='%d' width='12' height='12' fill='%s'/><text x='%d' y='%d'>%s</text>%n",
          x, y + i * 18, colors[i % colors.length], x + 18, y + i * 18 + 11, escape(names[i])));
    }
  }

  private static String escape(String t) {
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
