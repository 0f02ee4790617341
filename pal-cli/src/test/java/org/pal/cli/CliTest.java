package org.pal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.config.Json;
import org.pal.core.data.DatasetDirectory;
import org.pal.core.data.SplitDataset;

/** The {@code pal} command end to end, in process, on a small generated dataset. */
class CliTest {
  record Run(int code, String out, String err) {
    JsonNode json() {
      try {
        return Json.mapper().readTree(out.substring(out.indexOf('{')));
      } catch (Exception e) {
        throw new AssertionError("not JSON: " + out + err, e);
      }
    }
  }

  static Run pal(String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    int code = PalCommand.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  @TempDir static Path dir;
  static Path data, config;

  @BeforeAll
  static void generate() throws Exception {
    data = dir.resolve("data");
    Run r = pal("generate", "synthetic", "--dim", "8", "--true-k", "2", "--users", "30", "--pairs", "60", "--test-pairs", "30",
        "--unseen-users", "6", "--unseen-pairs", "20", "--seed", "3", "--out", data.toString());
    assertThat(r.code()).as(r.err()).isZero();
    config = dir.resolve("config.json");
    Files.writeString(config, "{\"model\": {\"type\": \"pal-a\", \"k\": 2, \"dim\": 8, \"projector\": {\"type\": \"linear\", \"bias\": false}},"
        + " \"loss\": {\"type\": \"hinge\"}, \"trainer\": {\"epochs\": 60, \"batchSize\": 64, \"patience\": 20}}");
  }

  @Test
  void pluginsListsEveryExtensionPoint() {
    Run r = pal("plugins");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("pal-a", "pal-b", "linear", "mlp", "logistic", "cauchit", "hinge", "softmax", "gumbel-softmax", "partition", "synthetic");
  }

  @Test
  void trainEvaluateAdaptScore() throws Exception {
    Path model = dir.resolve("model");
    Run t = pal("train", "--config", config.toString(), "--data", data.toString(), "--out", model.toString());
    assertThat(t.code()).as(t.err()).isZero();
    assertThat(t.err()).contains("epoch").contains("val-acc");
    assertThat(Files.exists(model.resolve("pal-model.json"))).isTrue();
    JsonNode manifest = Json.readTree(model.resolve("pal-model.json"));
    assertThat(manifest.at("/provenance/seed").asLong()).isZero();
    assertThat(manifest.at("/provenance/dataHash").asText()).hasSize(64);

    Run e = pal("evaluate", "--model", model.toString(), "--data", data.toString());
    assertThat(e.code()).as(e.err()).isZero();
    assertThat(e.json().get("seenAccuracy").asDouble()).isGreaterThan(0.8);
    assertThat(e.json().get("unseenAccuracy").asDouble()).isGreaterThan(0.75);

    // enrol the dataset's unseen users from their first 20 comparisons each
    SplitDataset s = DatasetDirectory.read(data);
    List<String> lines = new ArrayList<>();
    var byUser = s.byUser(s.unseen());
    for (var en : byUser.entrySet()) {
      for (int p : en.getValue().subList(0, 20)) {
        lines.add(String.format("{\"user\": \"%s\", \"left\": %d, \"right\": %d, \"label\": %d}", s.data().userIds().get(en.getKey()),
            s.data().pairs().left[p], s.data().pairs().right[p], s.data().pairs().label[p] > 0 ? 1 : 0));
      }
    }
    Path comparisons = dir.resolve("new-users.jsonl");
    Files.write(comparisons, lines);
    Path enrolled = dir.resolve("enrolled");
    Run a = pal("adapt", "--model", model.toString(), "--data", data.toString(), "--comparisons", comparisons.toString(), "--out", enrolled.toString());
    assertThat(a.code()).as(a.err()).isZero();
    assertThat(a.json().get("enrolled")).hasSize(6);
    String newUser = a.json().get("enrolled").get(0).get("user").asText();
    double wsum = 0;
    for (JsonNode w : a.json().get("enrolled").get(0).get("weights")) wsum += w.asDouble();
    assertThat(wsum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));

    Run sc = pal("score", "--model", enrolled.toString(), "--data", data.toString(), "--items", "0,1,2", "--user", newUser);
    assertThat(sc.code()).as(sc.err()).isZero();
    assertThat(sc.json().get("scores")).hasSize(3);
    Run sw = pal("score", "--model", model.toString(), "--data", data.toString(), "--items", "0,1", "--weights", "0.5,0.5");
    assertThat(sw.code()).as(sw.err()).isZero();
    // rewards are utilities: the preferred item of a pair scores higher for its user
    assertThat(sw.json().get("scores").get(0).get("reward").asDouble()).isNotEqualTo(sw.json().get("scores").get(1).get("reward").asDouble());
  }

  @Test
  void threadsSplitTrainingBitIdenticallyAndAreRecorded() throws Exception {
    Path a = dir.resolve("threads-a"), b = dir.resolve("threads-b");
    for (Path out : List.of(a, b)) {
      Run t = pal("train", "--config", config.toString(), "--data", data.toString(), "--out", out.toString(), "--epochs", "5", "--threads", "3");
      assertThat(t.code()).as(t.err()).isZero();
    }
    assertThat(Json.readTree(a.resolve("pal-model.json")).at("/provenance/extra/train/threads").asInt()).isEqualTo(3);
    for (String f : List.of("params/users.npy", "params/prototypes.npy")) {
      assertThat(Files.readAllBytes(b.resolve(f))).as(f).isEqualTo(Files.readAllBytes(a.resolve(f)));
    }
    Run zero = pal("train", "--config", config.toString(), "--data", data.toString(), "--out", dir.resolve("threads-0").toString(), "--threads", "0");
    assertThat(zero.code()).isEqualTo(2);
    assertThat(zero.err()).contains("--threads = 0").contains("at least 1");
  }

  @Test
  void resumeContinuesFromTheLastCheckpoint() {
    Path model = dir.resolve("resumed"), ck = dir.resolve("ck");
    Run first = pal("train", "--config", config.toString(), "--data", data.toString(), "--out", model.toString(), "--epochs", "3", "--checkpoint-dir", ck.toString());
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(first.json().get("resumed").asBoolean()).isFalse();
    Run second = pal("train", "--config", config.toString(), "--data", data.toString(), "--out", model.toString(), "--epochs", "5",
        "--checkpoint-dir", ck.toString(), "--resume", "--force");
    assertThat(second.code()).as(second.err()).isZero();
    assertThat(second.json().get("resumed").asBoolean()).isTrue();
    assertThat(second.json().get("epochsRun").asInt()).isEqualTo(5);
    assertThat(second.err()).contains("epoch 5/5").doesNotContain("epoch 1/5");
  }

  @Test
  void badInputExitsWithCode2AndNamesTheProblem() throws Exception {
    Path model = dir.resolve("bad-model");
    Run missing = pal("train", "--config", dir.resolve("nope.json").toString(), "--data", data.toString(), "--out", model.toString());
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("nope.json").contains("does not exist");

    Path badCfg = dir.resolve("bad.json");
    Files.writeString(badCfg, "{\"model\": {\"type\": \"pal-c\"}}");
    Run unknown = pal("train", "--config", badCfg.toString(), "--data", data.toString(), "--out", model.toString());
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).contains("model.type = \"pal-c\"").contains("[pal-a, pal-b]");

    Files.writeString(badCfg, "{\"model\": {\"type\": \"pal-a\", \"k\": 0}}");
    Run k0 = pal("train", "--config", badCfg.toString(), "--data", data.toString(), "--out", model.toString());
    assertThat(k0.code()).isEqualTo(2);
    assertThat(k0.err()).contains("k = 0");

    Run noModel = pal("evaluate", "--model", dir.resolve("absent").toString(), "--data", data.toString());
    assertThat(noModel.code()).isEqualTo(2);
    assertThat(noModel.err()).contains("absent");

    Path good = dir.resolve("model-for-bad-input");
    assertThat(pal("train", "--config", config.toString(), "--data", data.toString(), "--out", good.toString(), "--epochs", "2").code()).isZero();
    Run stranger = pal("score", "--model", good.toString(), "--data", data.toString(), "--items", "0", "--user", "mallory");
    assertThat(stranger.code()).isEqualTo(2);
    assertThat(stranger.err()).contains("user = mallory");
    Run weights = pal("score", "--model", good.toString(), "--data", data.toString(), "--items", "0", "--weights", "0.7,0.7");
    assertThat(weights.code()).isEqualTo(2);
    assertThat(weights.err()).contains("sum").contains("1.4");
    Run item = pal("score", "--model", good.toString(), "--data", data.toString(), "--items", "999999", "--weights", "0.5,0.5");
    assertThat(item.code()).isEqualTo(2);
    assertThat(item.err()).contains("--items = 999999");

    Path badLines = dir.resolve("bad.jsonl");
    Files.writeString(badLines, "{\"user\": \"n1\", \"left\": 0, \"right\": 1, \"label\": 1}\n{\"user\": \"n1\", \"left\": 0, \"label\": 1}\n");
    Run adapt = pal("adapt", "--model", good.toString(), "--data", data.toString(), "--comparisons", badLines.toString(), "--out", dir.resolve("x").toString());
    assertThat(adapt.code()).isEqualTo(2);
    assertThat(adapt.err()).contains("line 2").contains("'right' is missing");
    assertThat(Files.exists(dir.resolve("x"))).isFalse();

    // NaN in an embedding table, a dataset of another dimension, an empty validation split
    Path nanData = dir.resolve("nan-data");
    SplitDataset s = DatasetDirectory.read(data);
    // PAL never writes NaN, so the test patches it into the bytes
    Path nanItems = copyDir(data, nanData).resolve("items.npy");
    byte[] bytes = Files.readAllBytes(nanItems);
    long offset = org.pal.core.archive.Npy.header(nanItems).dataOffset();
    java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat((int) offset + 4 * (5 * s.data().items().dim() + 2), Float.NaN);
    Files.write(nanItems, bytes);
    Run nan = pal("train", "--config", config.toString(), "--data", nanData.toString(), "--out", model.toString());
    assertThat(nan.code()).isEqualTo(2);
    assertThat(nan.err()).contains("items[row 5, column 2] = NaN");
    Path wide = dir.resolve("wide-data");
    assertThat(pal("generate", "synthetic", "--dim", "4", "--users", "5", "--pairs", "10", "--out", wide.toString()).code()).isZero();
    Run dim = pal("evaluate", "--model", good.toString(), "--data", wide.toString());
    assertThat(dim.code()).isEqualTo(2);
    assertThat(dim.err()).contains("items.dim = 4").contains("8");
    Path noVal = copyDir(data, dir.resolve("no-val"));
    int[] split = org.pal.core.archive.Npy.read(noVal.resolve("pair_split.npy")).toInts();
    for (int i = 0; i < split.length; i++) if (split[i] == 1) split[i] = 0;
    org.pal.core.archive.Npy.writeInts(noVal.resolve("pair_split.npy"), split.length, 1, split);
    Run empty = pal("train", "--config", config.toString(), "--data", noVal.toString(), "--out", model.toString());
    assertThat(empty.code()).isEqualTo(2);
    assertThat(empty.err()).contains("split.validation").contains("empty");

    Run usage = pal("train", "--nonsense");
    assertThat(usage.code()).isEqualTo(2);
  }

  private static Path copyDir(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName()));
    }
    return to;
  }

  @Test
  void embedWritesVectorsInInputOrderAndTheSecondRunHitsTheCache() throws Exception {
    Path in = dir.resolve("texts.csv"), out = dir.resolve("emb"), cache = dir.resolve("cache");
    Files.writeString(in, "id,text\nq1,\"The cat sat on the mat, quietly.\"\nq2,Dogs bark at night.\nq3,The cat sat on the mat quietly.\n");
    Run first = pal("embed", "--input", in.toString(), "--column", "text", "--id-column", "id", "--out", out.toString(), "--cache", cache.toString(),
        "--encoder", writeEncoder("builtin:all-minilm-l6-v2-q").toString());
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(first.json().get("encoded").asInt()).isEqualTo(3);
    var a = org.pal.core.archive.Npy.read(out.resolve("embeddings.npy"));
    assertThat(a.rows()).isEqualTo(3);
    assertThat(a.cols()).isEqualTo(384);
    assertThat(Files.readAllLines(out.resolve("ids.txt"))).containsExactly("q1", "q2", "q3");
    double near = 0, far = 0;
    for (int j = 0; j < 384; j++) { near += a.values()[j] * a.values()[2 * 384 + j]; far += a.values()[j] * a.values()[384 + j]; }
    assertThat(near).isGreaterThan(far);
    Run second = pal("embed", "--input", in.toString(), "--column", "text", "--out", out.toString(), "--force", "--cache", cache.toString(),
        "--encoder", writeEncoder("builtin:all-minilm-l6-v2-q").toString());
    assertThat(second.code()).as(second.err()).isZero();
    assertThat(second.json().get("encoded").asInt()).isZero();
    assertThat(second.json().get("cacheHits").asInt()).isEqualTo(3);

    Path bad = dir.resolve("bad.csv"), badOut = dir.resolve("emb-bad");
    Files.writeString(bad, "id,text\nq1,fine\nq2,\n");
    Run empty = pal("embed", "--input", bad.toString(), "--column", "text", "--out", badOut.toString(), "--no-cache");
    assertThat(empty.code()).isEqualTo(2);
    assertThat(empty.err()).contains("row 2").contains("must not be empty");
    assertThat(Files.exists(badOut)).isFalse();
  }

  @Test
  void embedImagesWithClip() throws Exception {
    Path fixture = Path.of("../pal-embeddings/src/test/fixtures/tiny-clip").toAbsolutePath().normalize();
    Path imgs = dir.resolve("imgs"), out = dir.resolve("img-emb"), enc = dir.resolve("clip.json");
    Files.createDirectories(imgs);
    Files.copy(fixture.resolve("test.png"), imgs.resolve("b.png"));
    Files.copy(fixture.resolve("test.png"), imgs.resolve("a.png"));
    Files.writeString(imgs.resolve("notes.txt"), "ignored");
    Files.writeString(enc, "{\"type\": \"onnx-clip\", \"model\": \"" + fixture + "\"}");
    Run r = pal("embed", "--images", imgs.toString(), "--encoder", enc.toString(), "--out", out.toString(), "--cache", dir.resolve("img-cache").toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(Files.readAllLines(out.resolve("ids.txt"))).containsExactly("a.png", "b.png");
    var a = org.pal.core.archive.Npy.read(out.resolve("embeddings.npy"));
    assertThat(a.rows()).isEqualTo(2);
    assertThat(a.cols()).isEqualTo(16);
    Run text = pal("embed", "--images", imgs.toString(), "--encoder", writeEncoder("builtin:all-minilm-l6-v2-q").toString(), "--out", dir.resolve("x2").toString());
    assertThat(text.code()).isEqualTo(2);
    assertThat(text.err()).contains("images need onnx-clip");
  }

  @Test
  void personaExperimentWritesTheReportAndInspectReadsIt() throws Exception {
    Path out = dir.resolve("persona"), enc = dir.resolve("persona-enc.json");
    Files.writeString(enc, "{\"type\": \"onnx-sentence\", \"model\": \"builtin:all-minilm-l6-v2-q\", \"cache\": \"" + dir.resolve("pcache") + "\"}");
    Run r = pal("experiment", "persona", "--persona-dir", Path.of("../../shared/data/anthropic-persona").toString(),
        "--personas", "interest-in-art,interest-in-math", "--users-per-persona", "5", "--queries", "40", "--unseen-users-per-persona", "2",
        "--unseen-queries", "60", "--k", "1,2", "--epochs", "3", "--shots-curve", "5,20", "--encoder", enc.toString(), "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    for (String f : List.of("results.json", "results.csv", "table.txt", "report.md", "accuracy-vs-k.svg", "unseen-vs-comparisons.svg",
        "config.json", "dataset.json", "splits/seed-0.json", "splits/seed-0-pair_split.npy")) {
      assertThat(Files.exists(out.resolve(f))).as(f).isTrue();
    }
    assertThat(Files.readString(out.resolve("report.md"))).contains("pal experiment persona").contains("accuracy-vs-k.svg").contains("| pal-b | 2 |");
    assertThat(Files.readAllLines(out.resolve("results.csv"))).hasSize(3);
    assertThat(Files.readString(out.resolve("accuracy-vs-k.svg"))).startsWith("<svg").contains("K=2");
    JsonNode split = Json.readTree(out.resolve("splits/seed-0.json"));
    assertThat(split.get("seenUsers")).hasSize(10);
    assertThat(split.get("unseenUsers")).hasSize(4);
    assertThat(Json.readTree(out.resolve("results.json")).get(1).get("unseenAccuracyByShots").has("20")).isTrue();

    Run inspect = pal("inspect", dir.resolve("model-for-inspect").toString());
    assertThat(inspect.code()).isEqualTo(2);
    Path model = dir.resolve("model-for-inspect");
    assertThat(pal("train", "--config", config.toString(), "--data", data.toString(), "--out", model.toString(), "--epochs", "5").code()).isZero();
    Run ok = pal("inspect", model.toString(), "--results", out.resolve("results.json").toString());
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("users per prototype").contains("prototype 1:").contains("suggested K:");
  }

  @Test
  void personaKnobSweepWritesOneFolderPerSettingAndASummary() throws Exception {
    Path out = dir.resolve("knobs"), enc = dir.resolve("knob-enc.json");
    Files.writeString(enc, "{\"type\": \"onnx-sentence\", \"model\": \"builtin:all-minilm-l6-v2-q\", \"cache\": \"" + dir.resolve("pcache") + "\"}");
    Run r = pal("experiment", "persona", "--persona-dir", Path.of("../../shared/data/anthropic-persona").toString(),
        "--k-star", "1,2", "--queries", "20,30", "--users-per-persona", "3", "--unseen-users-per-persona", "1", "--unseen-queries", "30",
        "--shots", "10", "--epochs", "1", "--encoder", enc.toString(), "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = Files.readAllLines(out.resolve("summary.csv"));
    assertThat(lines).hasSize(1 + 2 + 4); // K*=1 sweeps K=1 only; K*=2 sweeps K=1,2; two n_p each
    assertThat(lines.get(1)).startsWith("kstar-1_np-20_d-16,pal-b,1,1,"); // one run: K=1 is not trained twice
    assertThat(Files.exists(out.resolve("kstar-2_np-30_d-16/report.md"))).isTrue();
    assertThat(Files.readString(out.resolve("report.md"))).contains("[kstar-2_np-30_d-16](kstar-2_np-30_d-16/report.md)");
    assertThat(Files.readString(out.resolve("settings.svg"))).contains("kstar-1_np-20_d-16");
    Run bad = pal("experiment", "persona", "--k-star", "9", "--out", out.toString(), "--force");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("--k-star = 9");
  }

  @Test
  void recordsExperimentSkipsInvalidRowsWhenAsked() throws Exception {
    Path f = dir.resolve("recs.jsonl");
    StringBuilder sb = new StringBuilder();
    SplitDataset s = DatasetDirectory.read(data);
    org.pal.core.archive.Npy.writeFloats(dir.resolve("vecs.npy"), s.data().items().rows(), s.data().items().dim(), s.data().items().data());
    for (int p = 0; p < 600; p++) {
      sb.append(String.format("{\"user_id\": \"%s\", \"left\": \"npy:vecs.npy#%d\", \"right\": \"npy:vecs.npy#%d\", \"label\": %d}%n",
          s.data().userIds().get(s.data().pairs().user[p]), s.data().pairs().left[p], s.data().pairs().right[p], s.data().pairs().label[p]));
    }
    sb.append("{\"user_id\": \"x\", \"left\": \"npy:vecs.npy#0\", \"right\": \"npy:vecs.npy#1\", \"label\": 7}\n");
    Files.writeString(f, sb);
    Path out = dir.resolve("recs-out");
    Run strict = pal("experiment", "records", "--data", f.toString(), "--k", "1", "--epochs", "2", "--out", out.toString());
    assertThat(strict.code()).isEqualTo(2);
    assertThat(strict.err()).contains("recs.jsonl line 601 label = 7");
    Path prepared = dir.resolve("recs-data");
    Run gen = pal("generate", "records", "--data", f.toString(), "--skip-invalid", "--seed", "4", "--out", prepared.toString());
    assertThat(gen.code()).as(gen.err()).isZero();
    assertThat(gen.out()).contains("\"records\" : 601, \"skipped\" : 1");
    Path cfgB = dir.resolve("recs-config.json");
    Files.writeString(cfgB, "{\"model\": {\"type\": \"pal-a\", \"k\": 2, \"dim\": 8}, \"trainer\": {\"epochs\": 3}}");
    Run trained = pal("train", "--config", cfgB.toString(), "--data", prepared.toString(), "--out", dir.resolve("recs-model").toString());
    assertThat(trained.code()).as(trained.err()).isZero();
    Run lenient = pal("experiment", "records", "--data", f.toString(), "--k", "1,2", "--epochs", "5", "--skip-invalid", "--out", out.toString());
    assertThat(lenient.code()).as(lenient.err()).isZero();
    assertThat(lenient.err()).contains("\"records\" : 601, \"skipped\" : 1");
    assertThat(Json.readTree(out.resolve("results.json"))).hasSize(2);
  }

  private static Path writeEncoder(String model) throws Exception {
    Path p = dir.resolve("encoder-" + model.replace(':', '-') + ".json");
    Files.writeString(p, "{\"type\": \"onnx-sentence\", \"model\": \"" + model + "\"}");
    return p;
  }

  @Test
  void experimentWritesResultsWithTheRunSchema() throws Exception {
    Path out = dir.resolve("exp");
    Run r = pal("experiment", "synthetic", "--dim", "8", "--true-k", "2", "--users", "20", "--pairs", "40", "--unseen-users", "5",
        "--k", "1,2", "--seeds", "0", "--epochs", "20", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("seen acc").contains("± ");
    JsonNode runs = Json.readTree(out.resolve("results.json"));
    assertThat(runs).hasSize(2);
    for (String f : List.of("model", "k", "seed", "seenAccuracy", "unseenAccuracy", "zeroShotAccuracy", "trainSeconds", "pairsPerSecond")) {
      assertThat(runs.get(0).has(f)).as(f).isTrue();
    }
    assertThat(runs.get(1).get("k").asInt()).isEqualTo(2);
  }

  /** {@code --active} on the shared experiment path: both strategies' curves, 0..N questions, accuracies in [0, 1]. */
  @Test
  void activeEnrolmentWritesBothStrategiesCurves() throws Exception {
    Path out = dir.resolve("exp-active");
    Run r = pal("experiment", "synthetic", "--dim", "8", "--true-k", "2", "--users", "20", "--pairs", "40", "--unseen-users", "6",
        "--unseen-pairs", "16", "--test-pairs", "10", "--k", "2", "--seeds", "0", "--epochs", "20", "--active", "--active-pool", "10",
        "--active-questions", "4", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = Files.readAllLines(out.resolve("active.csv"));
    assertThat(lines.get(0)).isEqualTo("k,strategy,questions,mean,std_seeds,std_users");
    for (String strategy : List.of("active", "random")) {
      List<String[]> rows = lines.stream().skip(1).map(l -> l.split(",")).filter(c -> c[1].equals(strategy)).toList();
      assertThat(rows).as(strategy).hasSize(5); // 0..4 questions
      for (String[] c : rows) assertThat(Double.parseDouble(c[3])).as(strategy + " at " + c[2]).isBetween(0.0, 1.0);
    }
    // no answers yet: both strategies stand at the same (zero-shot) point
    String[] a0 = lines.stream().filter(l -> l.startsWith("2,active,0,")).findFirst().orElseThrow().split(",");
    String[] r0 = lines.stream().filter(l -> l.startsWith("2,random,0,")).findFirst().orElseThrow().split(",");
    assertThat(a0[3]).isEqualTo(r0[3]);
    Run bad = pal("experiment", "synthetic", "--users", "5", "--pairs", "10", "--k", "1", "--epochs", "1", "--active", "--active-criterion", "nope",
        "--out", dir.resolve("exp-active-bad").toString());
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("--active-criterion").contains("nope").contains("particles");
  }
}
