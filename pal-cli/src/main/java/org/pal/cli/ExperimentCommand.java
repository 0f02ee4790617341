package org.pal.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.pal.core.archive.AtomicFiles;
import org.pal.core.config.Json;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.experiment.RunResult;
import org.pal.core.experiment.Sweep;
import org.pal.core.train.TrainerSpec;
import org.pal.datasets.SyntheticDataset;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "experiment", description = "Sweep K and seeds on one of the paper's studies; write results.json and a table.",
    subcommands = {ExperimentCommand.Synthetic.class})
final class ExperimentCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "synthetic", description = {"Section 4.1: PAL-A with a linear map without bias and hinge loss (Appendix C.1),",
      "one model per K and seed; the seed draws the data and initialises the model."})
  static final class Synthetic implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin SyntheticOptions data = new SyntheticOptions();
    @Option(names = "--model", defaultValue = "pal-a", description = "model type (default ${DEFAULT-VALUE})") String model;
    @Option(names = "--k", split = ",", defaultValue = "1,2,3,4,5", description = "values of K (default ${DEFAULT-VALUE})") List<Integer> ks;
    @Option(names = "--seeds", split = ",", defaultValue = "0,1,2", description = "seeds (default ${DEFAULT-VALUE})") List<Long> seeds;
    @Option(names = "--epochs", defaultValue = "1000", description = "epochs per run (default ${DEFAULT-VALUE}, as the paper)") int epochs;
    @Option(names = "--batch-size", defaultValue = "128", description = "mini-batch size (default ${DEFAULT-VALUE})") int batchSize;
    @Option(names = "--config", description = "JSON config to start from instead of the Appendix C.1 one (its model.k is swept)") Path config;
    @Option(names = "--out", required = true, description = "output directory for results.json, config.json, table.txt") Path out;
    @Option(names = "--threads") Integer threads;

    @Override
    public void run() {
      PalCommand.configureThreads(threads);
      PrintWriter o = spec.commandLine().getOut(), err = spec.commandLine().getErr();
      PalConfig base = config != null ? PalConfig.read(config) : appendixC1(model, data.dim);
      TrainerSpec t = base.trainer().withEpochs(epochs).withBatchSize(batchSize);
      base = base.withTrainer(t);
      Sweep sweep = new Sweep(Pal.load().registry());
      List<RunResult> runs = sweep.run(new SyntheticDataset(data.spec()), base, ks, seeds, data.unseenPairs,
          r -> err.printf(Locale.ROOT, "done %s K=%d seed=%d: seen %.4f unseen %.4f zero-shot %.4f (%.1fs, %.0f pairs/s)%n",
              r.model(), r.k(), r.seed(), r.seenAccuracy(), r.unseenAccuracy(), r.zeroShotAccuracy(), r.trainSeconds(), r.pairsPerSecond()),
          name -> new Progress(err, name + "  "));
      String table = table(runs);
      o.print(table);
      AtomicFiles.writeString(out.resolve("results.json"), Json.write(runs));
      AtomicFiles.writeString(out.resolve("config.json"), Json.write(base));
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("dataset", data.spec());
      AtomicFiles.writeString(out.resolve("dataset.json"), Json.write(d));
      AtomicFiles.writeString(out.resolve("table.txt"), table);
      o.println("wrote " + out.resolve("results.json"));
    }

    static PalConfig appendixC1(String model, int dim) {
      ObjectNode m = PalConfig.typed(model);
      m.put("dim", dim);
      ObjectNode proj = m.putObject("projector");
      proj.put("type", "linear").put("bias", false);
      return new PalConfig(m, null, null, PalConfig.typed("hinge"), null);
    }

    static String table(List<RunResult> runs) {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT, "%-7s %-4s %-17s %-17s %-17s %-10s %s%n", "model", "K", "seen acc", "unseen acc", "zero-shot acc", "train s", "pairs/s"));
      Map<String, List<RunResult>> groups = new LinkedHashMap<>();
      for (RunResult r : runs) groups.computeIfAbsent(r.model() + "|" + r.k(), x -> new ArrayList<>()).add(r);
      for (List<RunResult> g : groups.values()) {
        sb.append(String.format(Locale.ROOT, "%-7s %-4d %-17s %-17s %-17s %-10s %.0f%n", g.get(0).model(), g.get(0).k(),
            ms(g, RunResult::seenAccuracy), ms(g, RunResult::unseenAccuracy), ms(g, RunResult::zeroShotAccuracy),
            String.format(Locale.ROOT, "%.1f", g.stream().mapToDouble(RunResult::trainSeconds).average().orElse(0)),
            g.stream().mapToDouble(RunResult::pairsPerSecond).average().orElse(0)));
      }
      sb.append("(mean ± std over seeds ").append(runs.stream().map(r -> String.valueOf(r.seed())).distinct().toList()).append(")\n");
      return sb.toString();
    }

    private static String ms(List<RunResult> g, java.util.function.ToDoubleFunction<RunResult> f) {
      double mean = g.stream().mapToDouble(f).average().orElse(Double.NaN);
      double var = g.stream().mapToDouble(r -> Math.pow(f.applyAsDouble(r) - mean, 2)).sum() / Math.max(1, g.size() - 1);
      return String.format(Locale.ROOT, "%.4f ± %.4f", mean, Math.sqrt(var));
    }
  }
}
