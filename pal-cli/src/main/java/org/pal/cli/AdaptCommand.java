package org.pal.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pal.api.Comparison;
import org.pal.api.Enrolment;
import org.pal.api.PalApi;
import org.pal.api.RecordFiles;
import org.pal.api.RewardModel;
import org.pal.core.config.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "adapt", description = {
    "Enrol new users from their comparisons: only their K simplex weights are learned.",
    "--comparisons takes the generic record format (JSONL/CSV/Parquet: user_id, prompt, chosen/rejected or left/right/label;",
    "text, image:PATH or npy:FILE#ROW values), or, with --data DIR, JSONL rows of that directory's tables:",
    "{\"user\": ID, \"left\": ROW, \"right\": ROW, \"label\": 1 | -1 | 0, \"prompt\": ROW (if the data has prompts)}."})
final class AdaptCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Option(names = "--model", required = true) Path model;
  @Option(names = "--comparisons", required = true, description = "the new users' comparisons") Path comparisons;
  @Option(names = "--out", required = true, description = "archive to write: the model plus the enrolled users") Path out;
  @CommandLine.Mixin OutputOptions output = new OutputOptions();
  @Option(names = "--data", description = "dataset directory whose tables row-form comparisons index") Path data;
  @Option(names = "--update", description = "refit users the model already has (otherwise they are refused)") boolean update;
  @Option(names = "--data-root", description = "folder that image: and npy: paths resolve in (default: the comparisons file's folder)") Path dataRoot;
  @Option(names = "--accept-encoder", description = "JSON embedder config to use instead of the one the model records") Path acceptEncoder;
  @Option(names = "--threads", description = PalCommand.THREADS) Integer threads;

  @Override
  public void run() {
    PalCommand.configureThreads(threads);
    PalApi api = PalApi.create();
    PalApi.LoadOptions lo = acceptEncoder != null ? PalApi.LoadOptions.acceptEncoder(Json.readTree(acceptEncoder))
        : data != null ? PalApi.LoadOptions.vectors() : PalApi.LoadOptions.DEFAULT;
    try (RewardModel m = api.load(model, lo)) {
      List<Comparison> cs = data != null ? RecordFiles.rowComparisons(comparisons, api.dataset(data).split().data())
          : RecordFiles.comparisons(comparisons, dataRoot);
      Enrolment e = m.enrol(cs, update);
      e.model().save(out);
      List<Map<String, Object>> users = new ArrayList<>();
      for (Enrolment.EnrolledUser u : e.users()) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("user", u.user());
        o.put("weights", u.weights());
        o.put("comparisons", u.comparisons());
        o.put("validationAccuracy", u.validationAccuracy());
        users.add(o);
      }
      spec.commandLine().getOut().println(Json.write(Map.of("model", out.toString(), "enrolled", users, "milliseconds", e.milliseconds())));
    }
  }
}
