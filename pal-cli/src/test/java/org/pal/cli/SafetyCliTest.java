package org.pal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as a careless or hostile user meets it: nothing lost, bad input is exit 2 with a message. */
class SafetyCliTest {
  record Run(int code, String out, String err) {}

  static Run pal(String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    int code = PalCommand.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  @TempDir static Path dir;
  static Path data, config, model;

  @BeforeAll
  static void setUp() throws Exception {
    data = dir.resolve("data");
    assertThat(pal("generate", "synthetic", "--dim", "4", "--users", "10", "--pairs", "20", "--unseen-users", "3", "--unseen-pairs", "12",
        "--out", data.toString()).code()).isZero();
    config = dir.resolve("c.json");
    Files.writeString(config, "{\"model\": {\"type\": \"pal-a\", \"k\": 2, \"dim\": 4}, \"trainer\": {\"epochs\": 2}}");
    model = dir.resolve("model");
    Run t = pal("train", "--config", config.toString(), "--data", data.toString(), "--out", model.toString());
    assertThat(t.code()).as(t.err()).isZero();
  }

  @Test
  void outNeverDestroysAUsersFiles() throws Exception {
    Path v = dir.resolve("v");
    Files.createDirectories(v.resolve("docs"));
    Files.writeString(v.resolve("docs/thesis.txt"), "x");
    Path file = dir.resolve("notes.txt");
    Files.writeString(file, "mine");
    for (Path target : new Path[] {v, file}) {
      for (String[] cmd : new String[][] {
          {"train", "--config", config.toString(), "--data", data.toString(), "--out", target.toString(), "--force"},
          {"generate", "synthetic", "--out", target.toString(), "--force"},
          {"experiment", "synthetic", "--k", "1", "--epochs", "1", "--out", target.toString(), "--force"},
          {"embed", "--input", file.toString(), "--column", "x", "--out", target.toString(), "--force"}}) {
        Run r = pal(cmd);
        assertThat(r.code()).as(String.join(" ", cmd) + r.err()).isEqualTo(2);
        assertThat(r.err()).contains(target.toString()).contains("--force");
      }
    }
    Run inspect = pal("inspect", model.toString(), "--weights-out", file.toString());
    assertThat(inspect.code()).as(inspect.err()).isEqualTo(2);
    assertThat(inspect.err()).contains("--weights-out").contains(file.toString()).contains("choose a new path");
    assertThat(Files.readString(v.resolve("docs/thesis.txt"))).isEqualTo("x");
    assertThat(Files.readString(file)).isEqualTo("mine");
    Path fresh = dir.resolve("weights.json");
    Run wrote = pal("inspect", model.toString(), "--weights-out", fresh.toString());
    assertThat(wrote.code()).as(wrote.err()).isZero();
    assertThat(org.pal.core.config.Json.readTree(fresh).size()).isEqualTo(10);
    // PAL's own earlier output: only with --force
    Run again = pal("train", "--config", config.toString(), "--data", data.toString(), "--out", model.toString());
    assertThat(again.code()).isEqualTo(2);
    assertThat(again.err()).contains("pass --force");
    Run forced = pal("train", "--config", config.toString(), "--data", data.toString(), "--out", model.toString(), "--force");
    assertThat(forced.code()).as(forced.err()).isZero();
  }

  @Test
  void badExperimentOptionsLeaveNothingBehind() throws Exception {
    for (String[] opt : new String[][] {{"--k", "0"}, {"--shots", "0"}, {"--shots-curve", "5,0"}}) {
      Path out = dir.resolve("exp" + opt[0] + opt[1].replace(',', '-'));
      Run r = pal("experiment", "synthetic", "--users", "5", "--pairs", "10", opt[0], opt[1], "--epochs", "1", "--out", out.toString());
      assertThat(r.code()).as(r.err()).isEqualTo(2);
      assertThat(out).doesNotExist();
      try (var s = Files.list(dir)) {
        assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("." + out.getFileName()));
      }
    }
  }

  @Test
  void unreadableInputsAreExit2WithTheRightName() throws Exception {
    Path bin = dir.resolve("bin.json");
    Files.write(bin, new byte[] {(byte) 0xc3, 0x28, (byte) 0xff});
    Run r = pal("train", "--config", bin.toString(), "--data", data.toString(), "--out", dir.resolve("x1").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("not UTF-8");
    r = pal("train", "--config", dir.toString(), "--data", data.toString(), "--out", dir.resolve("x1").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("is a directory");
    Path csv = dir.resolve("t.csv");
    Files.writeString(csv, "id,text\n1,hello\n");
    r = pal("embed", "--input", csv.toString(), "--column", "text", "--id-column", "nope", "--out", dir.resolve("x2").toString(), "--no-cache");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("column = nope").doesNotContain("--column");
    Path empty = dir.resolve("empty.jsonl");
    Files.writeString(empty, "");
    r = pal("generate", "records", "--data", empty.toString(), "--out", dir.resolve("x3").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("has no records");
    r = pal("evaluate", "--model", model.toString(), "--data", data.toString(), "--shots", "100000");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("shots = 100000");
    r = pal("train", "--config", config.toString(), "--data", data.toString(), "--out", dir.resolve("x4").toString(),
        "--checkpoint-dir", dir.resolve("no-such-ck").toString(), "--resume");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("no-such-ck").contains("does not exist");
  }

  @Test
  void adaptRefusesNonTextIdsFractionalRowsAndDuplicateUsers() throws Exception {
    String[] bad = {"{\"user\": {\"a\": 1}, \"left\": 0, \"right\": 1, \"label\": 1}", "{\"user\": \"n\", \"left\": 1.5, \"right\": 1, \"label\": 1}",
        "{\"user\": 7, \"left\": 0, \"right\": 1, \"label\": 1}"};
    for (String line : bad) {
      Path f = dir.resolve("cmp.jsonl");
      Files.writeString(f, line + "\n");
      Run r = pal("adapt", "--model", model.toString(), "--data", data.toString(), "--comparisons", f.toString(), "--out", dir.resolve("x5").toString());
      assertThat(r.code()).as(line + r.err()).isEqualTo(2);
      assertThat(r.err()).contains("line 1");
    }
    Path dup = dir.resolve("dup");
    assertThat(pal("generate", "synthetic", "--dim", "4", "--users", "4", "--pairs", "10", "--out", dup.toString()).code()).isZero();
    String m = Files.readString(dup.resolve("dataset.json"));
    Files.writeString(dup.resolve("dataset.json"), m.replaceAll("\"id\" : \"[^\"]*\"", "\"id\" : \"same\""));
    Run r = pal("evaluate", "--model", model.toString(), "--data", dup.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("unique");
  }
}
