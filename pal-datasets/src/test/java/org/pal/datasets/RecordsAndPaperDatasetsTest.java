package org.pal.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.archive.Npy;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;
import org.pal.core.experiment.RunResult;
import org.pal.core.experiment.Sweep;

class RecordsAndPaperDatasetsTest {
  static final Path SHARED = Path.of("../../shared/data");
  private final ComponentRegistry registry = Pal.load().registry();

  private static com.fasterxml.jackson.databind.node.ObjectNode quantized() {
    var e = PalConfig.typed("onnx-sentence");
    e.put("model", "builtin:all-minilm-l6-v2-q");
    return e;
  }

  @Test
  void recordsWithVectorReferencesAreDeduplicated(@TempDir Path dir) throws Exception {
    float[] vec = new float[5 * 3];
    for (int i = 0; i < vec.length; i++) vec[i] = i;
    Npy.writeFloats(dir.resolve("items.npy"), 5, 3, vec);
    Npy.writeFloats(dir.resolve("prompts.npy"), 2, 4, new float[8]);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      sb.append(String.format("{\"user_id\": \"u%d\", \"prompt\": \"npy:prompts.npy#%d\", \"left\": \"npy:items.npy#%d\", \"right\": \"npy:items.npy#%d\", \"label\": %s}%n",
          i % 4, i % 2, i % 5, (i + 1) % 5, i % 3 == 0 ? "0" : "1"));
    }
    Path f = dir.resolve("r.jsonl");
    Files.writeString(f, sb);
    RecordsDataset ds = new RecordsDataset(new RecordsDataset.Spec(f.toString(), null, 0.25, 0.1, 0.2, false), registry);
    PreferenceDataset d = ds.data();
    assertThat(d.items().rows()).isEqualTo(5);
    assertThat(d.prompts().rows()).isEqualTo(2);
    assertThat(d.prompts().dim()).isEqualTo(4);
    assertThat(d.userIds()).containsExactly("u0", "u1", "u2", "u3");
    assertThat(d.pairs().size()).isEqualTo(40);
    assertThat(d.pairs().label[0]).isEqualTo((byte) -1);
    assertThat(d.pairs().label[1]).isEqualTo((byte) 1);
    assertThat(d.items().get(d.pairs().left[1], 2)).isEqualTo(5f); // row 1 of items.npy
    SplitDataset s = ds.load(3);
    assertThat(s.unseenUsers()).hasSize(1);
  }

  @Test
  void chosenRejectedTextRecordsGetEmbedded(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("r.csv");
    Files.writeString(f, "user_id,prompt,chosen,rejected\na,Say hi,Hello there!,Go away.\nb,Say hi,Go away.,Hello there!\na,Say bye,Goodbye!,Whatever.\n");
    PreferenceDataset d = new RecordsDataset(new RecordsDataset.Spec(f.toString(), quantized(), 0.0, 0.0, 0.0, false), registry).data();
    assertThat(d.items().rows()).isEqualTo(4);
    assertThat(d.items().dim()).isEqualTo(384);
    assertThat(d.prompts().rows()).isEqualTo(2);
    int[] preferred = new int[3], other = new int[3];
    for (int i = 0; i < 3; i++) {
      preferred[i] = d.pairs().label[i] > 0 ? d.pairs().left[i] : d.pairs().right[i];
      other[i] = d.pairs().label[i] > 0 ? d.pairs().right[i] : d.pairs().left[i];
    }
    // rows 1 and 2 compare the same two responses with opposite choices: sides may be swapped, preferences not
    assertThat(preferred[0]).isEqualTo(other[1]);
    assertThat(preferred[1]).isEqualTo(other[0]);
    assertThat(preferred[2]).isNotIn(preferred[0], preferred[1]);
  }

  @Test
  void badRecordsNameFileRowFieldAndValueOrAreSkipped(@TempDir Path dir) throws Exception {
    Npy.writeFloats(dir.resolve("v.npy"), 2, 3, new float[6]);
    Npy.writeFloats(dir.resolve("w.npy"), 1, 4, new float[4]);
    Path f = dir.resolve("bad.jsonl");
    Files.writeString(f, """
        {"user_id": "a", "left": "npy:v.npy#0", "right": "npy:v.npy#1", "label": 1}
        {"user_id": "a", "left": "npy:v.npy#0", "right": "npy:v.npy#1", "label": 2}
        {"user_id": "b", "left": "npy:v.npy#1", "label": 1}
        {"user_id": "b", "left": "npy:v.npy#1", "right": "npy:v.npy#0", "label": -1}
        """);
    assertThatThrownBy(() -> new RecordsDataset(new RecordsDataset.Spec(f.toString(), null, 0.0, 0.0, 0.0, false), registry).data())
        .hasMessageContaining("bad.jsonl line 2 label = 2").hasMessageContaining("must be 1");
    RecordsDataset skipping = new RecordsDataset(new RecordsDataset.Spec(f.toString(), null, 0.0, 0.0, 0.0, true), registry);
    assertThat(skipping.data().pairs().size()).isEqualTo(2);
    assertThat(skipping.loadReport().skipped()).isEqualTo(2);
    assertThat(skipping.loadReport().problems().get(1)).contains("line 3 right");
    Path g = dir.resolve("dims.jsonl");
    Files.writeString(g, "{\"user_id\": \"a\", \"left\": \"npy:v.npy#0\", \"right\": \"npy:w.npy#0\", \"label\": 1}\n");
    assertThatThrownBy(() -> new RecordsDataset(new RecordsDataset.Spec(g.toString(), null, 0.0, 0.0, 0.0, false), registry).data())
        .hasMessageContaining("npy:w.npy#0").hasMessageContaining("4 numbers").hasMessageContaining("dimension 3");
    Path h = dir.resolve("cols.csv");
    Files.writeString(h, "user,left,right,label\na,x,y,1\n");
    assertThatThrownBy(() -> new RecordsDataset(new RecordsDataset.Spec(h.toString(), null, 0.0, 0.0, 0.0, false), registry).data())
        .hasMessageContaining("'user_id' is missing");
  }

  @Test
  void personaUsersAnswerYesExactlyOnTheirPersonasAgreeingStatements() {
    PersonaDataset p = new PersonaDataset(new PersonaDataset.Spec(SHARED.resolve("anthropic-persona").toString(),
        List.of("interest-in-art", "interest-in-math"), 3, 50, 1, 60, null, null, quantized(), null), registry);
    SplitDataset s = p.load(0);
    assertThat(p.statementCount()).isEqualTo(2000);
    assertThat(s.data().items().rows()).isEqualTo(2); // " Yes" and " No"
    assertThat(s.seenUsers()).hasSize(6);
    assertThat(s.unseen()).hasSize(2 * 60);
    // statements 0..999 come from the art file, 1000..1999 from math: a math user never agrees with an art statement
    var pairs = s.data().pairs();
    int yesToOther = 0, yes = 0;
    for (int i = 0; i < pairs.size(); i++) {
      boolean saysYes = (pairs.left[i] == 0) == (pairs.label[i] > 0);
      String persona = s.data().userIds().get(pairs.user[i]);
      boolean artStatement = pairs.prompt[i] < 1000;
      if (saysYes) yes++;
      if (saysYes && persona.contains("math") == artStatement) yesToOther++;
    }
    assertThat(yesToOther).isZero();
    assertThat((double) yes / pairs.size()).isBetween(0.15, 0.35); // a quarter of statements: own file's agreeing half
  }

  @Test
  void personaK4SeparatesWhatK1Cannot() {
    PersonaDataset p = new PersonaDataset(new PersonaDataset.Spec(SHARED.resolve("anthropic-persona").toString(),
        null, 20, 100, 5, 100, null, null, quantized(), null), registry);
    var cfg = PalConfig.parse("{\"model\": {\"type\": \"pal-b\", \"dim\": 16}, \"trainer\": {\"epochs\": 15, \"batchSize\": 128,"
        + " \"groups\": {\"mapping\": {\"lr\": 0.001}, \"prototypes\": {\"lr\": 0.001}, \"users\": {\"lr\": 0.02}, \"scale\": {\"lr\": 0.001}}}}");
    List<RunResult> runs = new Sweep(registry).run(p, cfg, List.of(1, 4), List.of(0L), 50, null, n -> null);
    assertThat(runs.get(1).seenAccuracy()).isGreaterThan(runs.get(0).seenAccuracy() + 0.05);
    assertThat(runs.get(1).seenAccuracy()).isGreaterThan(0.93);
  }

  @Test
  void missingPersonaFilesAreDownloadedOnlyWhenAskedAndAtomically(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    byte[] art = Files.readAllBytes(SHARED.resolve("anthropic-persona/interest-in-art.jsonl"));
    com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    int[] hits = {0};
    server.createContext("/persona/", ex -> {
      hits[0]++;
      boolean known = ex.getRequestURI().getPath().endsWith("interest-in-art.jsonl");
      ex.sendResponseHeaders(known ? 200 : 404, known ? art.length : -1);
      if (known) ex.getResponseBody().write(art);
      ex.close();
    });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/persona/";
      Path local = dir.resolve("personas");
      PersonaDataset offline = new PersonaDataset(new PersonaDataset.Spec(local.toString(), List.of("interest-in-art"), 2, 10, 0, 10, null, null, quantized(), null), registry);
      assertThatThrownBy(offline::statementCount).hasMessageContaining("no file");
      assertThat(hits[0]).isZero();
      PersonaDataset online = new PersonaDataset(new PersonaDataset.Spec(local.toString(), List.of("interest-in-art"), 2, 10, 0, 10, null, null, quantized(), base), registry);
      assertThat(online.statementCount()).isEqualTo(1000);
      assertThat(Files.readAllBytes(local.resolve("interest-in-art.jsonl"))).isEqualTo(art);
      new PersonaDataset(new PersonaDataset.Spec(local.toString(), List.of("interest-in-art"), 2, 10, 0, 10, null, null, quantized(), base), registry).statementCount();
      assertThat(hits[0]).as("fetched once, then read locally").isEqualTo(1);
      PersonaDataset missing = new PersonaDataset(new PersonaDataset.Spec(local.toString(), List.of("interest-in-nothing"), 2, 10, 0, 10, null, null, quantized(), base), registry);
      assertThatThrownBy(missing::statementCount).hasMessageContaining("HTTP 404");
      try (var files = Files.list(local)) {
        assertThat(files.map(p -> p.getFileName().toString())).containsExactly("interest-in-art.jsonl"); // no partial file left
      }
    } finally {
      server.stop(0);
    }
  }

  @Test
  void tldrVariants() {
    Path dir = SHARED.resolve("tldr-comparisons");
    TldrDataset semi = new TldrDataset(new TldrDataset.Spec(dir.toString(), null, "semi-synthetic", 6, null, null, null, quantized(), null), registry);
    SplitDataset s = semi.load(0);
    assertThat(s.data().pairs().size()).isEqualTo(335); // only supervised-policy pairs (batch18)
    assertThat(s.seenUsers()).hasSize(6);
    assertThat(s.unseenUsers()).hasSize(5);
    TldrDataset real = new TldrDataset(new TldrDataset.Spec(dir.toString(), null, "real", null, null, null, null, quantized(), null), registry);
    SplitDataset r = real.load(0);
    assertThat(r.data().pairs().size()).isEqualTo(1771);
    assertThat(r.seenUsers()).hasSize(7); // the reference's seen workers present in these two batches
    assertThat(r.data().userIds()).hasSize(30);
  }
}
