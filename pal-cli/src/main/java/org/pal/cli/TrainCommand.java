package org.pal.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.Json;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.DatasetDirectory;
import org.pal.core.data.SplitDataset;
import org.pal.core.model.PalModel;
import org.pal.core.train.TrainResult;
import org.pal.core.train.Trainer;
import org.pal.core.train.TrainerSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", description = "Train a PAL model on a dataset directory and write a model archive.")
final class TrainCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Option(names = "--config", required = true, description = "JSON config: model, simplex, link, loss, trainer") Path config;
  @Option(names = "--data", required = true, description = "dataset directory (see 'pal generate')") Path data;
  @Option(names = "--out", required = true, description = "model archive directory to write") Path outDir;
  @Option(names = "--checkpoint-dir", description = "checkpoint every epoch here (default: <out>.checkpoints)") Path checkpointDir;
  @Option(names = "--resume", description = "continue from the newest checkpoint in --checkpoint-dir") boolean resume;
  @Option(names = "--epochs", description = "override trainer.epochs") Integer epochs;
  @Option(names = "--seed", description = "override trainer.seed") Long seed;
  @Option(names = "--threads", description = PalCommand.THREADS) Integer threads;

  @Override
  public void run() {
    PalCommand.configureThreads(threads);
    PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
    PalConfig cfg = PalConfig.read(config);
    TrainerSpec t = cfg.trainer();
    if (epochs != null) t = t.withEpochs(epochs);
    if (seed != null) t = t.withSeed(seed);
    if (threads != null) t = t.withThreads(threads);
    cfg = cfg.withTrainer(t);
    SplitDataset split = DatasetDirectory.read(data);
    Pal pal = Pal.load();
    PalModel model = PalModel.build(pal.registry(), cfg, split.data().items().dim(), split.data().promptDim(),
        split.ids(split.seenUsers()), DataType.FLOAT);
    Path ckpt = checkpointDir != null ? checkpointDir : outDir.resolveSibling(outDir.getFileName() + ".checkpoints");
    TrainResult r = new Trainer(cfg.trainer(), new Progress(err, "")).fit(model, split, ckpt, resume);
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("train", r);
    extra.put("data", data.toAbsolutePath().toString());
    ModelArchive.save(model, outDir, new ModelArchive.Provenance(cfg.trainer().seed(), split.data().hash(), ModelArchive.VERSION,
        Instant.now().toString(), extra));
    out.println(Json.write(Map.of("model", outDir.toString(), "epochsRun", r.epochsRun(), "bestEpoch", r.bestEpoch(),
        "bestValidationAccuracy", r.bestValidationAccuracy(), "trainSeconds", r.trainSeconds(), "resumed", r.resumed())));
  }
}
