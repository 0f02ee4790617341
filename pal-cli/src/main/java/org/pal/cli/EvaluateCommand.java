package org.pal.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.pal.core.PalException;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.Json;
import org.pal.core.config.Pal;
import org.pal.core.data.DatasetDirectory;
import org.pal.core.data.SplitDataset;
import org.pal.core.eval.Evaluator;
import org.pal.core.model.PalModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "evaluate", description = "Seen, few-shot unseen and zero-shot accuracy of a model on a dataset directory.")
final class EvaluateCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Option(names = "--model", required = true) Path model;
  @Option(names = "--data", required = true) Path data;
  @Option(names = "--shots", defaultValue = "20", description = "enrolment pairs per unseen user (default ${DEFAULT-VALUE})") int shots;
  @Option(names = "--threads", description = PalCommand.THREADS) Integer threads;

  @Override
  public void run() {
    PalCommand.configureThreads(threads);
    PalModel m = ModelArchive.load(Pal.load().registry(), model);
    SplitDataset split = DatasetDirectory.read(data);
    if (split.data().items().dim() != m.itemDim()) {
      throw PalException.badInput("items.dim", split.data().items().dim(), "the model was trained on item dimension " + m.itemDim());
    }
    if (split.data().promptDim() != m.promptDim()) {
      throw PalException.badInput("prompts.dim", split.data().promptDim(), "the model was trained on prompt dimension " + m.promptDim());
    }
    if (!split.ids(split.seenUsers()).equals(m.userIds())) {
      throw PalException.badInput("data", data, "its seen users differ from the model's " + m.userIds().size()
          + " users; evaluate on the dataset the model was trained on, or enrol new users with 'pal adapt'");
    }
    Evaluator.Accuracies a = Evaluator.evaluate(m, split, shots, m.config().trainer().adapt(), m.config().trainer().seed());
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("seenAccuracy", a.seen());
    r.put("unseenAccuracy", a.unseenFewShot());
    r.put("zeroShotAccuracy", a.zeroShot());
    r.put("seenTestPairs", a.seenPairs());
    r.put("unseenTestPairs", a.unseenTestPairs());
    r.put("shots", shots);
    spec.commandLine().getOut().println(Json.write(r));
  }
}
