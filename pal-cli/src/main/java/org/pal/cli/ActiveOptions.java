package org.pal.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.pal.api.ActiveReport;
import org.pal.api.ActiveStudy;
import org.pal.api.UserPosterior;
import org.pal.core.data.SplitDataset;
import org.pal.core.experiment.RunResult;
import org.pal.core.model.PalModel;
import picocli.CommandLine.Option;

/**
 * {@code --active} on every experiment: after each (K, seed) run, unseen users are enrolled by
 * asking next-query questions from their pool and by random questions (org.pal.api.ActiveStudy);
 * the curves go to active.md, active.csv, active.json and active-K*.svg.
 */
final class ActiveOptions {
  @Option(names = "--active", description = "also compare active (next-query) with random enrolment questions for unseen users") boolean on;
  @Option(names = "--active-pool", defaultValue = "40", description = "with --active: each unseen user's first N comparisons are the questions one may ask; the rest test (default ${DEFAULT-VALUE})") int pool;
  @Option(names = "--active-questions", defaultValue = "20", description = "with --active: questions asked, curve 0..N (default ${DEFAULT-VALUE})") int questions;
  @Option(names = "--prior-std", defaultValue = "1.5", description = "with --active: prior std of an unseen user's logits, or 'auto' (empirical Bayes: the seen users' spread) (default ${DEFAULT-VALUE})") String priorStd;

  @Option(names = "--active-criterion", defaultValue = "particles", description = "with --active: d-optimal (linearised expected information), bald (mutual information over posterior draws) or particles (mutual information over the seen users as particles, then d-optimal) (default ${DEFAULT-VALUE})") String criterion;

  private final Map<Long, SplitDataset> splits = new TreeMap<>();
  private double lastPriorStd = 1.5;
  private final Map<Integer, List<ActiveStudy.Result>> results = new TreeMap<>();

  private ActiveStudy.Options options() {
    return options(1.5);
  }

  private ActiveStudy.Options options(double auto) {
    double s;
    if (priorStd.equals("auto")) {
      s = auto;
    } else {
      try {
        s = Double.parseDouble(priorStd);
      } catch (NumberFormatException e) {
        throw org.pal.core.PalException.badInput("--prior-std", priorStd, "give a number > 0 or auto");
      }
    }
    org.pal.api.ActiveQuery.Criterion c = switch (criterion) {
      case "bald" -> org.pal.api.ActiveQuery.Criterion.BALD;
      case "d-optimal" -> org.pal.api.ActiveQuery.Criterion.D_OPTIMAL;
      case "particles" -> org.pal.api.ActiveQuery.Criterion.PARTICLES;
      default -> throw org.pal.core.PalException.badInput("--active-criterion", criterion, "valid criteria: [bald, d-optimal, particles]");
    };
    return new ActiveStudy.Options(pool, questions, new UserPosterior.Options(s, UserPosterior.Options.DEFAULT.iterations()), c);
  }

  void onSplit(long seed, SplitDataset split) {
    if (!on) return;
    options(); // checked before any training
    splits.put(seed, split);
  }

  void onRun(RunResult r, PalModel model, PrintWriter err) {
    if (!on) return;
    long t0 = System.nanoTime();
    double auto = UserPosterior.empiricalPriorStd(model);
    ActiveStudy.Options opts = options(auto);
    ActiveStudy.Result res = ActiveStudy.run(model, splits.get(r.seed()), opts, r.seed());
    lastPriorStd = opts.posterior().priorStd();
    results.computeIfAbsent(r.k(), k -> new ArrayList<>()).add(res);
    int half = Math.min(10, questions);
    err.printf(Locale.ROOT, "active K=%d seed=%d: %d users, active@%d %.4f, random@%d %.4f, random@%d %.4f (%.1fs)%n", r.k(), r.seed(), res.users().size(),
        half, res.meanActive()[half], half, res.meanRandom()[half], questions, res.meanRandom()[questions], (System.nanoTime() - t0) / 1e9);
    err.printf(Locale.ROOT, "active K=%d seed=%d: prior std %.3f%n", r.k(), r.seed(), opts.posterior().priorStd());
  }

  void write(Path dir, String title, String command, PrintWriter out) {
    if (!on || results.isEmpty()) return;
    ActiveReport.write(dir, title, command, results, options(lastPriorStd));
    int half = Math.min(10, questions);
    for (var e : results.entrySet()) {
      ActiveReport.Curves c = ActiveReport.aggregate(e.getValue());
      out.printf(Locale.ROOT, "active K=%d: %d questions %.4f ± %.4f vs random %d questions %.4f ± %.4f (%d seeds, %d user-runs)%n", e.getKey(),
          half, c.active(half).mean(), c.active(half).stdSeeds(), questions, c.random(questions).mean(), c.random(questions).stdSeeds(), c.seeds(), c.users());
    }
    out.println("wrote " + dir.resolve("active.md"));
  }
}
