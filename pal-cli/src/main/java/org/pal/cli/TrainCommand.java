package org.pal.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.pal.api.Dataset;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;
import org.pal.core.train.TrainResult;
import org.pal.core.train.TrainerSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", description = "Train a PAL model on a dataset directory and write a model archive (with the dataset's encoder, so it scores raw text).")
final class TrainCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Option(names = "--config", required = true, description = "JSON config: model, simplex, link, loss, trainer") Path config;
  @Option(names = "--data", required = true, description = "dataset directory (see 'pal generate')") Path data;
  @Option(names = "--out", required = true, description = "model archive directory to write") Path outDir;
  @CommandLine.Mixin OutputOptions output = new OutputOptions();
  @Option(names = "--checkpoint-dir", description = "checkpoint every epoch here (default: <out>.checkpoints)") Path checkpointDir;
  @Option(names = "--resume", description = "continue from the newest checkpoint in --checkpoint-dir") boolean resume;
  @Option(names = "--epochs", description = "override trainer.epochs") Integer epochs;
  @Option(names = "--seed", description = "override trainer.seed") Long seed;
  @Option(names = "--threads", description = PalCommand.THREADS) Integer threads;

  @Override
  public void run() {
    PalCommand.configureThreads(threads);
    PalConfig cfg = PalConfig.read(config);
    TrainerSpec t = cfg.trainer();
    if (epochs != null) t = t.withEpochs(epochs);
    if (seed != null) t = t.withSeed(seed);
    if (threads != null) t = t.withThreads(threads);
    cfg = cfg.withTrainer(t);
    PalApi api = PalApi.create();
    Dataset d = api.dataset(data);
    Path ckpt = checkpointDir != null ? checkpointDir : outDir.resolveSibling(outDir.getFileName() + ".checkpoints");
    PalApi.Trained trained = api.train(cfg, d, new PalApi.TrainOptions(ckpt, resume, new Progress(spec.commandLine().getErr(), "")));
    try (RewardModel m = trained.model()) {
      m.save(outDir);
    }
    TrainResult r = trained.result();
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("model", outDir.toString());
    o.put("epochsRun", r.epochsRun());
    o.put("bestEpoch", r.bestEpoch());
    o.put("bestValidationAccuracy", r.bestValidationAccuracy());
    o.put("trainSeconds", r.trainSeconds());
    o.put("resumed", r.resumed());
    spec.commandLine().getOut().println(Json.write(o));
  }
}
