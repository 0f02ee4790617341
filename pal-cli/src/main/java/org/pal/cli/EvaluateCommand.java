package org.pal.cli;

import java.nio.file.Path;
import org.pal.api.Evaluation;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.core.config.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "evaluate", description = {"Seen, few-shot unseen and zero-shot accuracy of a model on a dataset directory.",
    "Unseen and zero-shot are null when the data has no unseen users."})
final class EvaluateCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Option(names = "--model", required = true) Path model;
  @Option(names = "--data", required = true) Path data;
  @Option(names = "--shots", defaultValue = "20", description = "enrolment pairs per unseen user (default ${DEFAULT-VALUE})") int shots;
  @Option(names = "--threads", description = PalCommand.THREADS) Integer threads;

  @Override
  public void run() {
    PalCommand.configureThreads(threads);
    PalApi api = PalApi.create();
    try (RewardModel m = api.load(model, PalApi.LoadOptions.vectors())) {
      Evaluation e = m.evaluate(api.dataset(data), shots);
      java.util.Map<String, Object> r = new java.util.LinkedHashMap<>();
      r.put("seenAccuracy", e.seen());
      r.put("unseenAccuracy", e.unseenFewShot());
      r.put("zeroShotAccuracy", e.zeroShot());
      r.put("seenTestPairs", e.seenTestPairs());
      r.put("unseenUsers", e.unseenUsers());
      r.put("unseenTestPairs", e.unseenTestPairs());
      r.put("shots", e.shots());
      spec.commandLine().getOut().println(Json.write(r));
    }
  }
}
