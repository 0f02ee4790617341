package org.pal.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.PalException;
import org.pal.core.archive.Npy;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Pal;
import org.pal.core.data.PreferenceDataset;

/**
 * Record files: ids are text whatever they look like, bad npy: values are skippable per record and
 * named by the record's line, paths stay inside the record folder (or --data-root), and no message
 * echoes an id, prompt or response.
 */
class RecordSafetyTest {
  private final ComponentRegistry registry = Pal.load().registry();

  private PreferenceDataset load(Path f, boolean skip, String root) {
    return new RecordsDataset(new RecordsDataset.Spec(f.toString(), null, 0.0, 0.0, 0.0, skip, root), registry).data();
  }

  @Test
  void aTextIdAfterThousandsOfNumericIdsIsJustAnotherId(@TempDir Path dir) throws Exception {
    Npy.writeFloats(dir.resolve("v.npy"), 2, 3, new float[] {1, 2, 3, 4, 5, 6});
    StringBuilder j = new StringBuilder(), c = new StringBuilder("user_id,left,right,label\n");
    for (int i = 0; i < 5000; i++) {
      j.append("{\"user_id\": ").append(i % 50).append(", \"left\": \"npy:v.npy#0\", \"right\": \"npy:v.npy#1\", \"label\": 1}\n");
      c.append(i % 50).append(",npy:v.npy#0,npy:v.npy#1,1\n");
    }
    j.append("{\"user_id\": \"alice\", \"left\": \"npy:v.npy#1\", \"right\": \"npy:v.npy#0\", \"label\": \"0\"}\n");
    j.append("{\"user_id\": \"007\", \"left\": \"npy:v.npy#1\", \"right\": \"npy:v.npy#0\", \"label\": -1}\n");
    c.append("alice,npy:v.npy#1,npy:v.npy#0,0\n007,npy:v.npy#1,npy:v.npy#0,-1\n");
    Files.writeString(dir.resolve("r.jsonl"), j);
    Files.writeString(dir.resolve("r.csv"), c);
    for (String f : List.of("r.jsonl", "r.csv")) {
      PreferenceDataset d = load(dir.resolve(f), false, null);
      assertThat(d.userIds()).hasSize(52).contains("alice", "007", "49");
      assertThat(d.pairs().size()).isEqualTo(5002);
    }
  }

  @Test
  void badNpyValuesAreSkippedPerRecordAndNamedByLine(@TempDir Path dir) throws Exception {
    Npy.writeFloats(dir.resolve("v.npy"), 2, 3, new float[] {1, 2, 3, 4, 5, 6});
    Npy.writeFloats(dir.resolve("w.npy"), 1, 4, new float[] {1, 2, 3, 4});
    byte[] nan = Files.readAllBytes(dir.resolve("v.npy"));
    java.nio.ByteBuffer.wrap(nan).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(nan.length - 4, Float.NaN);
    Files.write(dir.resolve("nan.npy"), nan);
    Path f = dir.resolve("r.jsonl");
    Files.writeString(f, String.join("\n",
        "{\"user_id\": \"secret-user\", \"prompt\": \"secret prompt\", \"left\": \"npy:v.npy#0\", \"right\": \"npy:v.npy#1\", \"label\": 1}",
        "{\"user_id\": \"a\", \"prompt\": \"secret prompt\", \"left\": \"npy:v.npy#0\", \"right\": \"npy:v.npy#7\", \"label\": 1}",
        "{\"user_id\": \"a\", \"prompt\": \"secret prompt\", \"left\": \"npy:w.npy#0\", \"right\": \"npy:v.npy#1\", \"label\": 1}",
        "{\"user_id\": \"a\", \"prompt\": \"secret prompt\", \"left\": \"npy:nan.npy#1\", \"right\": \"npy:v.npy#1\", \"label\": 1}",
        "{\"user_id\": \"a\", \"prompt\": \"secret prompt\", \"left\": \"npy:missing.npy#0\", \"right\": \"npy:v.npy#1\", \"label\": 1}",
        "{\"user_id\": \"a\", \"prompt\": \"secret prompt\", \"left\": \"npy:v.npy#1.5\", \"right\": \"npy:v.npy#1\", \"label\": 1}",
        "{\"user_id\": {\"a\": 1}, \"prompt\": \"secret prompt\", \"left\": \"npy:v.npy#0\", \"right\": \"npy:v.npy#1\", \"label\": 1}",
        "{\"user_id\": \"b\", \"prompt\": \"secret prompt\", \"left\": \"npy:v.npy#1\", \"right\": \"npy:v.npy#0\", \"label\": -1}") + "\n");
    assertThatThrownBy(() -> load(f, false, null)).hasMessageContaining("r.jsonl line 2 right = npy:v.npy#7").hasMessageContaining("rows 0..1");
    RecordsDataset skipping = new RecordsDataset(new RecordsDataset.Spec(f.toString(), null, 0.0, 0.0, 0.0, true, null), registry);
    // prompts are text (no encoder needed: every prompt is the same text, embedded once) -> use a prompt-free copy
    Path g = dir.resolve("g.jsonl");
    Files.writeString(g, Files.readString(f).replace("\"prompt\": \"secret prompt\", ", ""));
    skipping = new RecordsDataset(new RecordsDataset.Spec(g.toString(), null, 0.0, 0.0, 0.0, true, null), registry);
    assertThat(skipping.data().pairs().size()).isEqualTo(2);
    assertThat(skipping.loadReport().skipped()).isEqualTo(6);
    List<String> problems = skipping.loadReport().problems();
    assertThat(problems.get(0)).contains("g.jsonl line 2 right");
    assertThat(problems.get(1)).contains("line 3 left").contains("4 numbers").contains("dimension 3");
    assertThat(problems.get(2)).contains("line 4 left").contains("NaN");
    assertThat(problems.get(3)).contains("line 5 left").contains("does not exist");
    assertThat(problems.get(4)).contains("line 6 left").contains("whole number");
    assertThat(problems.get(5)).contains("line 7").contains("user_id").contains("must be text");
    for (String p : problems) assertThat(p).doesNotContain("secret");
  }

  @Test
  void valuePathsStayInsideTheRecordFolderOrTheDataRoot(@TempDir Path dir) throws Exception {
    Path data = Files.createDirectories(dir.resolve("data")), outside = Files.createDirectories(dir.resolve("outside"));
    Npy.writeFloats(data.resolve("v.npy"), 2, 3, new float[6]);
    Npy.writeFloats(outside.resolve("o.npy"), 2, 3, new float[6]);
    Files.createSymbolicLink(data.resolve("link.npy"), outside.resolve("o.npy"));
    Files.createSymbolicLink(data.resolve("dangling.npy"), outside.resolve("nothing-here.npy"));
    List<String> refused = List.of("npy:" + outside.resolve("o.npy") + "#0", "npy:../outside/o.npy#0", "npy:link.npy#0",
        "npy:dangling.npy#0", "npy:/etc/shadow#0", "npy:/etc/no-such-file#0", "image:/etc/passwd");
    List<String> messages = new ArrayList<>();
    for (String ref : refused) {
      Path f = data.resolve("r.jsonl");
      Files.writeString(f, "{\"user_id\": \"a\", \"left\": \"" + ref + "\", \"right\": \"npy:v.npy#1\", \"label\": 1}\n");
      assertThatThrownBy(() -> load(f, false, null)).isInstanceOf(PalException.class).satisfies(e -> messages.add(e.getMessage()));
    }
    // the same words whether or not the outside file exists: errors do not confirm what is there
    for (String m : messages) assertThat(m).contains("is not a path inside").doesNotContain("does not exist");
    Path f = data.resolve("r.jsonl");
    Files.writeString(f, "{\"user_id\": \"a\", \"left\": \"npy:../outside/o.npy#0\", \"right\": \"npy:v.npy#1\", \"label\": 1}\n");
    assertThat(load(f, false, dir.toString()).items().rows()).isEqualTo(2); // an explicit data root allows it
  }

  @Test
  void emptyFilesAndUnreadableLinesAreNamed(@TempDir Path dir) throws Exception {
    Path empty = dir.resolve("e.jsonl");
    Files.writeString(empty, "");
    assertThatThrownBy(() -> load(empty, false, null)).hasMessageContaining("has no records");
    Path bin = dir.resolve("b.jsonl");
    Files.write(bin, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2});
    assertThatThrownBy(() -> load(bin, false, null)).isInstanceOf(PalException.class).hasMessageContaining("not UTF-8");
    Path deep = dir.resolve("d.jsonl");
    Files.writeString(deep, "{\"user_id\": " + "[".repeat(100_000) + "}\n");
    assertThatThrownBy(() -> load(deep, false, null)).isInstanceOf(PalException.class).hasMessageContaining("has no records");
  }

  // ---------------------------------------------------------------- fuzz: record rows

  @Provide
  Arbitrary<String> lines() {
    // items are npy:/image: references or non-text JSON only: a plain text would load the sentence encoder on every try
    Arbitrary<String> item = Arbitraries.of("\"npy:v.npy#0\"", "\"npy:v.npy#1\"", "\"npy:v.npy#2\"", "\"npy:v.npy#-1\"", "\"npy:v.npy#1e3\"",
        "\"npy:../v.npy#0\"", "\"npy:/dev/zero#0\"", "\"npy:v.npy\"", "\"npy:nan.npy#0\"", "\"npy:w.npy#0\"", "\"npy:bad.npy#0\"",
        "\"npy:v.npy#99999999999\"", "\"image:../x.png\"", "\"image:/etc/passwd\"", "null", "{}", "[]", "\"\"");
    Arbitrary<String> v = Arbitraries.of("1", "-1", "0", "2", "\"1\"", "\"0\"", "\"true\"", "1.5", "null", "{}", "[]", "\"\"", "\"u\"",
        "12345678901234567890123", "\"npy:v.npy#0\"");
    Arbitrary<String> row = Combinators.combine(v, item, item, v).as((u, l, r, y) ->
        "{\"user_id\": " + u + ", \"left\": " + l + ", \"right\": " + r + ", \"label\": " + y + "}");
    Arbitrary<String> garbage = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(40), Arbitraries.of("{", "{\"user_id\": \"a\", \"user_id\": \"b\"}", "[1]", "\"x\""));
    return Arbitraries.oneOf(row, row, row, garbage).list().ofMinSize(1).ofMaxSize(6).map(l -> String.join("\n", l) + "\n");
  }

  @Property(tries = 150)
  void recordFilesLoadOrAreRefused(@ForAll("lines") String content, @ForAll boolean skip) throws Exception {
    Path dir = Files.createTempDirectory("pal-records-fuzz");
    try {
      Npy.writeFloats(dir.resolve("v.npy"), 2, 3, new float[] {1, 2, 3, 4, 5, 6});
      Npy.writeFloats(dir.resolve("w.npy"), 1, 4, new float[] {1, 2, 3, 4});
      Files.write(dir.resolve("bad.npy"), new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 100, 0});
      byte[] nan = Files.readAllBytes(dir.resolve("v.npy"));
      java.nio.ByteBuffer.wrap(nan).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(nan.length - 12, Float.NaN);
      Files.write(dir.resolve("nan.npy"), nan);
      Path f = dir.resolve("r.jsonl");
      Files.writeString(f, content);
      PreferenceDataset d = org.pal.core.fuzz.Outcome.of(() -> load(f, skip, null));
      if (d != null) {
        org.pal.core.fuzz.Outcome.finite(d.items().data());
        assertThat(d.items().dim()).isIn(3, 4); // v.npy rows or w.npy rows, never a mix
        assertThat(d.userIds()).doesNotHaveDuplicates();
      }
    } finally {
      org.pal.core.archive.AtomicFiles.deleteTree(dir);
    }
  }
}
