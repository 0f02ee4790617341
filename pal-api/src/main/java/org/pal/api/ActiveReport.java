package org.pal.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.pal.core.archive.AtomicFiles;
import org.pal.core.config.Json;

/**
 * Active against random enrolment, aggregated: for each K and each number of answered questions t,
 * the mean test accuracy over every (unseen user, seed), its standard deviation over seeds (of the
 * per-seed means) and over users; written as {@code active.json}, {@code active.csv},
 * {@code active-K*.svg} and {@code active.md}.
 */
public final class ActiveReport {
  private ActiveReport() {}

  /** One curve point. */
  public record Point(int t, double mean, double stdSeeds, double stdUsers) {}

  public record Curves(int k, int seeds, int users, List<Point> active, List<Point> random) {
    public Point active(int t) { return active.get(t); }
    public Point random(int t) { return random.get(t); }
  }

  public static Curves aggregate(List<ActiveStudy.Result> results) {
    int k = results.get(0).k();
    int users = 0;
    for (ActiveStudy.Result r : results) users += r.users().size();
    return new Curves(k, results.size(), users, curve(results, true), curve(results, false));
  }

  private static List<Point> curve(List<ActiveStudy.Result> results, boolean active) {
    int t = results.get(0).active()[0].length;
    List<Point> out = new ArrayList<>();
    for (int q = 0; q < t; q++) {
      List<Double> perSeed = new ArrayList<>(), all = new ArrayList<>();
      for (ActiveStudy.Result r : results) {
        double[][] a = active ? r.active() : r.random();
        double s = 0;
        for (double[] u : a) {
          s += u[q];
          all.add(u[q]);
        }
        perSeed.add(s / a.length);
      }
      PalApi.Summary.Stat seeds = PalApi.Summary.stat(perSeed), users = PalApi.Summary.stat(all);
      out.add(new Point(q, users.mean(), seeds.std(), users.std()));
    }
    return out;
  }

  /** Writes the files for every K and returns the markdown. */
  public static String write(Path dir, String title, String command, Map<Integer, List<ActiveStudy.Result>> byK, ActiveStudy.Options options) {
    Map<Integer, Curves> curves = new TreeMap<>();
    byK.forEach((k, rs) -> curves.put(k, aggregate(rs)));
    ObjectNode root = Json.mapper().createObjectNode();
    root.put("pool", options.pool()).put("questions", options.questions()).put("priorStd", options.posterior().priorStd())
        .put("criterion", options.criterion().name());
    ArrayNode runs = root.putArray("runs");
    StringBuilder csv = new StringBuilder("k,strategy,questions,mean,std_seeds,std_users\n");
    StringBuilder md = new StringBuilder("# Active enrolment: " + title + "\n\n`" + command + "`\n\n");
    md.append("Each unseen user's first ").append(options.pool()).append(" comparisons are the pool of questions (their answers are the user's labels); "
        + "the rest are the test. After t answers the user's weights are the MAP fit of the Laplace posterior (prior std ")
        .append(options.posterior().priorStd()).append(" over the logits); random asks the pool in a seeded random order, active asks the pool pair "
        + "with the largest expected information (criterion " + options.criterion() + "). Mean test accuracy over all (user, seed); ± is the std over seeds of the per-seed means "
        + "(std over users in brackets).\n\n");
    for (var e : byK.entrySet()) {
      for (ActiveStudy.Result r : e.getValue()) {
        ObjectNode o = runs.addObject();
        o.put("k", r.k()).put("seed", r.seed()).put("users", r.users().size());
        ArrayNode a = o.putArray("active"), b = o.putArray("random");
        for (double v : r.meanActive()) a.add(v);
        for (double v : r.meanRandom()) b.add(v);
      }
    }
    for (Curves c : curves.values()) {
      md.append("## K = ").append(c.k()).append(" (").append(c.seeds()).append(" seeds, ").append(c.users()).append(" user-runs)\n\n");
      md.append("| questions | active | random |\n| ---: | --- | --- |\n");
      for (int q = 0; q < c.active().size(); q++) {
        Point a = c.active(q), r = c.random(q);
        csv.append(String.format(Locale.ROOT, "%d,active,%d,%.6f,%.6f,%.6f%n", c.k(), q, a.mean(), a.stdSeeds(), a.stdUsers()));
        csv.append(String.format(Locale.ROOT, "%d,random,%d,%.6f,%.6f,%.6f%n", c.k(), q, r.mean(), r.stdSeeds(), r.stdUsers()));
        md.append(String.format(Locale.ROOT, "| %d | %.4f ± %.4f (%.3f) | %.4f ± %.4f (%.3f) |%n", q, a.mean(), a.stdSeeds(), a.stdUsers(),
            r.mean(), r.stdSeeds(), r.stdUsers()));
      }
      int half = Math.min(10, c.active().size() - 1), full = Math.min(20, c.random().size() - 1);
      md.append(String.format(Locale.ROOT, "%nActive after %d questions: %.4f; random after %d: %.4f (%s).%n%n![K = %d](active-K%d.svg)%n%n",
          half, c.active(half).mean(), full, c.random(full).mean(),
          c.active(half).mean() >= c.random(full).mean() ? "active reaches it" : "active falls short", c.k(), c.k()));
      AtomicFiles.writeString(dir.resolve("active-K" + c.k() + ".svg"), svg(c, title + ", K = " + c.k()));
    }
    AtomicFiles.writeString(dir.resolve("active.json"), Json.write(root));
    AtomicFiles.writeString(dir.resolve("active.csv"), csv.toString());
    AtomicFiles.writeString(dir.resolve("active.md"), md.toString());
    return md.toString();
  }

  /** Accuracy against questions answered, mean ± std over seeds as a band, both strategies. */
  static String svg(Curves c, String title) {
    int w = 640, h = 400, x0 = 60, y0 = 40, pw = 540, ph = 300;
    double lo = 1, hi = 0;
    for (List<Point> l : List.of(c.active(), c.random())) {
      for (Point p : l) {
        lo = Math.min(lo, p.mean() - p.stdSeeds());
        hi = Math.max(hi, p.mean() + p.stdSeeds());
      }
    }
    lo = Math.max(0, Math.floor(lo * 20) / 20);
    hi = Math.min(1, Math.ceil(hi * 20) / 20 + 1e-9);
    int tMax = c.active().size() - 1;
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n", w, h));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\">%s</text>%n", x0, esc(title)));
    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n", x0, y0, pw, ph));
    for (int i = 0; i <= 4; i++) {
      double v = lo + (hi - lo) * i / 4;
      int y = (int) Math.round(y0 + ph - (v - lo) / (hi - lo) * ph);
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.2f</text>%n", x0 - 6, y + 4, v));
    }
    for (int q = 0; q <= tMax; q += Math.max(1, tMax / 10)) {
      int x = x0 + q * pw / Math.max(1, tMax);
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%d</text>%n", x, y0 + ph + 16, q));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">questions answered</text>%n", x0 + pw / 2, y0 + ph + 34));
    s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">test accuracy</text>%n", y0 + ph / 2, y0 + ph / 2));
    String[] colours = {"#d62728", "#1f77b4"};
    String[] names = {"active", "random"};
    List<List<Point>> ls = List.of(c.active(), c.random());
    for (int i = 0; i < 2; i++) {
      StringBuilder band = new StringBuilder(), line = new StringBuilder();
      List<Point> l = ls.get(i);
      for (Point p : l) band.append(pt(p.t(), p.mean() + p.stdSeeds(), tMax, lo, hi, x0, y0, pw, ph)).append(' ');
      for (int j = l.size() - 1; j >= 0; j--) band.append(pt(l.get(j).t(), l.get(j).mean() - l.get(j).stdSeeds(), tMax, lo, hi, x0, y0, pw, ph)).append(' ');
      for (Point p : l) line.append(pt(p.t(), p.mean(), tMax, lo, hi, x0, y0, pw, ph)).append(' ');
      s.append(String.format(Locale.ROOT, "<polygon points=\"%s\" fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\"/>%n", band.toString().trim(), colours[i]));
      s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n", line.toString().trim(), colours[i]));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>%n", x0 + pw - 80, y0 + ph - 40 + 16 * i, colours[i], names[i]));
    }
    return s.append("</svg>\n").toString();
  }

  private static String pt(int t, double v, int tMax, double lo, double hi, int x0, int y0, int pw, int ph) {
    double x = x0 + t * (double) pw / Math.max(1, tMax);
    double y = y0 + ph - (Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo) * ph;
    return String.format(Locale.ROOT, "%.1f,%.1f", x, y);
  }

  private static String esc(String t) {
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
