package org.pal.core.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.pal.core.archive.AtomicFiles;
import org.pal.core.archive.Npy;
import org.pal.core.config.Json;
import org.pal.core.config.JsonFields;
import org.pal.core.config.PalConfig;
import org.pal.core.data.DatasetDirectory;
import org.pal.core.train.Checkpoints;

/**
 * Property-based fuzzing of the parsers pal-core owns: .npy headers and bodies, configs, checkpoint
 * state, dataset manifests, comparison rows. For every input: a correct result with finite numbers,
 * or a PalException of kind user input (exit 2); never another exception, and never an allocation
 * the input's size does not justify (a header claiming 10^11 rows must fail before allocating).
 */
class CoreParsersFuzzTest {
  private static Path dir;

  @BeforeContainer
  static void tmp() throws Exception {
    dir = Files.createTempDirectory("pal-fuzz");
  }

  @AfterContainer
  static void clean() throws Exception {
    AtomicFiles.deleteTree(dir);
  }

  // ---------------------------------------------------------------- .npy

  @Provide
  Arbitrary<byte[]> npyFiles() {
    Arbitrary<String> descr = Arbitraries.of("<f4", "<f8", "<i4", "<i8", ">f4", "|u1", "<f2", "", "'", "<f4', 'x': '1");
    Arbitrary<String> dim = Arbitraries.oneOf(Arbitraries.integers().between(0, 6).map(String::valueOf),
        Arbitraries.of("99999999999", "-1", "2x", "", " ", "1e3", "9223372036854775807", "99999999999999999999", "0x10", "3.0"));
    Arbitrary<String> shape = dim.list().ofMinSize(0).ofMaxSize(3).map(ds -> "(" + String.join(", ", ds) + (ds.size() == 1 ? ",)" : ")"));
    Arbitrary<String> fortran = Arbitraries.of("False", "True", "false", "0");
    Arbitrary<String> header = Combinators.combine(descr, fortran, shape, Arbitraries.integers().between(0, 3))
        .as((d, f, s, order) -> switch (order) {
          case 0 -> "{'descr': '" + d + "', 'fortran_order': " + f + ", 'shape': " + s + ", }";
          case 1 -> "{'shape': " + s + ", 'descr': '" + d + "', 'fortran_order': " + f + "}";
          case 2 -> "{'descr': '" + d + "', 'shape': " + s + "}";
          default -> "{'descr': '" + d + "', 'fortran_order': " + f + ", 'shape': " + s + ", 'descr': '" + d + "'}";
        });
    Arbitrary<byte[]> structured = Combinators.combine(header, Arbitraries.of(1, 2, 3, 0, 9), Arbitraries.integers().between(-8, 8),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(200), Arbitraries.of(true, false))
        .as((h, major, lie, body, validFloats) -> {
          byte[] hb = (h + "\n").getBytes(StandardCharsets.US_ASCII);
          int pre = major == 1 ? 10 : 12;
          int declared = Math.max(0, hb.length + lie);
          ByteBuffer b = ByteBuffer.allocate(pre + hb.length + body.length).order(ByteOrder.LITTLE_ENDIAN);
          b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) (int) major).put((byte) 0);
          if (major == 1) b.putShort((short) declared); else b.putInt(lie == 8 ? Integer.MAX_VALUE : declared);
          b.put(hb).put(body);
          return b.array();
        });
    Arbitrary<byte[]> valid = Combinators.combine(Arbitraries.integers().between(0, 5), Arbitraries.integers().between(1, 4),
        Arbitraries.floats().list().ofSize(20), Arbitraries.integers().between(0, 40))
        .as((r, c, vals, cut) -> {
          float[] v = new float[r * c];
          for (int i = 0; i < v.length; i++) v[i] = vals.get(i);
          byte[] full = Npy.encode(r, c, "<f4", i -> v[i]);
          return cut < 30 ? full : java.util.Arrays.copyOf(full, Math.max(0, full.length - (cut - 29)));
        });
    return Arbitraries.oneOf(structured, valid, Arbitraries.bytes().array(byte[].class).ofMaxSize(300));
  }

  @Property(tries = 400)
  void npyIsReadCorrectlyOrRefused(@ForAll("npyFiles") byte[] bytes) throws Exception {
    Path f = dir.resolve("x.npy");
    Files.write(f, bytes);
    Npy.FloatMatrix m = Outcome.of(() -> Npy.readFloats(f));
    if (m != null) {
      assertThat((long) m.rows() * m.cols()).isEqualTo(m.values().length);
      assertThat(m.values().length * 4L).isLessThanOrEqualTo(bytes.length); // never more than the file holds
    }
    Npy.IntMatrix ints = Outcome.of(() -> Npy.readInts(f));
    if (ints != null) assertThat(ints.values().length * 4L).isLessThanOrEqualTo(bytes.length);
    Npy.DoubleMatrix d = Outcome.of(() -> Npy.readDoubles(f));
    if (d != null) assertThat(d.values().length * 4L).isLessThanOrEqualTo(bytes.length);
    Outcome.of(() -> {
      try (Npy.Rows r = Npy.openRows(f)) {
        if (r.rows() > 0) assertThat(r.row(r.rows() - 1)).hasSize(r.cols());
      }
      return null;
    });
  }

  // ---------------------------------------------------------------- configs

  private static final String CONFIG = "{\"model\": {\"type\": \"pal-a\", \"k\": 3, \"dim\": 16, \"projector\": {\"type\": \"linear\", \"bias\": false}},"
      + " \"loss\": {\"type\": \"hinge\"}, \"trainer\": {\"epochs\": 300, \"batchSize\": 128, \"patience\": 50, \"seed\": 0,"
      + " \"groups\": {\"mapping\": {\"lr\": 0.0005, \"weightDecay\": 0.001}}, \"adapt\": {\"epochs\": 10, \"lr\": 0.05}}}";

  /** Edits of a valid config: a token replaced, cut, doubled, nested deeply or made enormous. */
  @Provide
  Arbitrary<String> configs() {
    Arbitrary<String> values = Arbitraries.of("2.7", "-1", "0", "1e308", "-1e308", "1e-400", "NaN", "null", "\"3\"", "[]", "{}", "true",
        "99999999999999999999", "9".repeat(300), "\"\\u0000\"", "[[[[[[[[[[1]]]]]]]]]]", "{\"type\": \"pal-b\"}", "1.0");
    Arbitrary<String> replaced = Combinators.combine(Arbitraries.integers().between(0, CONFIG.length() - 1), values)
        .as((at, v) -> {
          int colon = CONFIG.indexOf(':', at);
          if (colon < 0) return CONFIG;
          int end = colon + 1;
          while (end < CONFIG.length() && ",}".indexOf(CONFIG.charAt(end)) < 0 && CONFIG.charAt(end) != '{') end++;
          return CONFIG.substring(0, colon + 1) + " " + v + CONFIG.substring(end);
        });
    Arbitrary<String> cut = Arbitraries.integers().between(0, CONFIG.length()).map(n -> CONFIG.substring(0, n));
    Arbitrary<String> dup = Arbitraries.of("\"epochs\": 3, ", "\"k\": 2, ", "\"model\": {}, ").map(d -> CONFIG.replaceFirst("\\{\"", "{" + d + "\""));
    Arbitrary<String> deep = Arbitraries.integers().between(1, 5000).map(n -> "{\"model\": " + "[".repeat(n) + "]".repeat(n) + "}");
    return Arbitraries.oneOf(replaced, cut, dup, deep, Arbitraries.strings().ofMaxLength(80), Arbitraries.just(CONFIG));
  }

  @Property(tries = 400)
  void configsParseOrAreRefused(@ForAll("configs") String text) {
    PalConfig c = Outcome.of(() -> PalConfig.parse(text));
    if (c != null) {
      assertThat(c.trainer().epochs()).isPositive();
      for (String g : c.trainer().groups().keySet()) assertThat(Double.isFinite(c.trainer().group(g).lr())).isTrue();
      assertThat(Double.isFinite(c.trainer().adapt().lr())).isTrue();
      // what PAL writes back is valid JSON it reads again
      assertThat(Outcome.of(() -> Json.parse(Json.write(c), "written config"))).isNotNull();
    }
  }

  // ---------------------------------------------------------------- comparison rows (pal adapt) and dataset.json

  @Provide
  Arbitrary<String> rows() {
    Arbitrary<String> v = Arbitraries.of("1", "0", "-1", "1.5", "2", "1e10", "\"u1\"", "\"\"", "{\"a\": 1}", "[1]", "null", "true", "-0", "3.0",
        "99999999999999999999", "\"  \"");
    return Combinators.combine(v, v, v, v).as((u, l, r, y) -> "{\"user\": " + u + ", \"left\": " + l + ", \"right\": " + r + ", \"label\": " + y + "}");
  }

  @Property(tries = 300)
  void comparisonRowsAreStrict(@ForAll("rows") String line) {
    JsonNode row = Outcome.of(() -> Json.parse(line, "row"));
    if (row == null) return;
    String id = Outcome.of(() -> JsonFields.id(row, "user", "line 1"));
    if (id != null) assertThat(row.get("user").isTextual() && !id.isBlank()).isTrue();
    Integer left = Outcome.of(() -> JsonFields.row(row, "left", 3, "line 1"));
    if (left != null) assertThat(row.get("left").isIntegralNumber() && left >= 0 && left < 3).isTrue();
    Integer label = Outcome.of(() -> JsonFields.label(row, "label", "line 1"));
    if (label != null) assertThat(label).isIn(1, -1);
  }

  @Property(tries = 200)
  void datasetManifestsAreStrict(@ForAll("rows") String user1, @ForAll("rows") String user2) throws Exception {
    // user entries built from the same value pool: ids of every JSON kind, duplicates, blanks
    Path d = Files.createDirectories(dir.resolve("data"));
    String u1 = Json.parse(user1, "x").get("user").toString(), u2 = Json.parse(user2, "x").get("user").toString();
    Files.writeString(d.resolve("dataset.json"), "{\"formatVersion\": 1, \"users\": [{\"id\": " + u1 + ", \"seen\": true}, {\"id\": " + u2 + ", \"seen\": false}]}");
    Npy.writeFloats(d.resolve("items.npy"), 2, 2, new float[] {0, 1, 2, 3});
    Npy.writeInts(d.resolve("pairs.npy"), 2, 5, new int[] {0, -1, 0, 1, 1, 1, -1, 1, 0, -1});
    Npy.writeInts(d.resolve("pair_split.npy"), 2, 1, new int[] {0, 3});
    var s = Outcome.of(() -> DatasetDirectory.read(d));
    if (s != null) {
      assertThat(s.data().userIds()).doesNotHaveDuplicates().allSatisfy(id -> assertThat(id).isNotBlank());
      Outcome.finite(s.data().items().data());
    }
  }

  // ---------------------------------------------------------------- checkpoint state

  @Provide
  Arbitrary<String> states() {
    Arbitrary<String> num = Arbitraries.of("0", "1", "3", "-1", "2.5", "1e400", "null", "\"x\"", "NaN", "9223372036854775808", "{}");
    return Combinators.combine(num, num, num, num, Arbitraries.of("{}", "null", "[]", "{\"config\": {}}", "1"))
        .as((done, steps, best, acc, identity) -> "{\"epochsDone\": " + done + ", \"adamSteps\": " + steps + ", \"bestEpoch\": " + best
            + ", \"bestValidationAccuracy\": " + acc + ", \"badEpochs\": 0, \"lastLoss\": 0.5, \"identity\": " + identity + "}");
  }

  @Property(tries = 200)
  void checkpointStateLoadsOrIsRefused(@ForAll("states") String state, @ForAll("npyFiles") byte[] params,
                                       @ForAll("latestNames") String latest) throws Exception {
    Path ck = dir.resolve("ck");
    AtomicFiles.deleteTree(ck);
    Path epoch = Files.createDirectories(ck.resolve("epoch-000003"));
    Files.writeString(ck.resolve("LATEST"), latest);
    Files.writeString(epoch.resolve("state.json"), state);
    Files.write(epoch.resolve("params.npy"), params);
    Npy.writeDoubles(epoch.resolve("best.npy"), 1, 2, new double[] {1, 2});
    Npy.writeDoubles(epoch.resolve("adam_m.npy"), 1, 2, new double[] {0, 0});
    Npy.writeDoubles(epoch.resolve("adam_v.npy"), 1, 2, new double[] {0, 0});
    Checkpoints.State s = Outcome.of(() -> Checkpoints.load(ck));
    if (s != null) {
      Outcome.finite(s.params());
      assertThat(s.params()).hasSameSizeAs(s.best());
      assertThat(Double.isFinite(s.bestValidationAccuracy()) && Double.isFinite(s.lastLoss())).isTrue();
    }
  }

  @Provide
  Arbitrary<String> latestNames() {
    return Arbitraries.of("epoch-000003\n", "epoch-000003", "../../etc\n", "epoch-999999", "", "epoch-00000x", "/etc/passwd");
  }

}
