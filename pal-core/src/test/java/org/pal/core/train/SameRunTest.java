package org.pal.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.pal.core.PalException;
import org.pal.core.config.Json;

/**
 * Each refusal of {@link Checkpoints#requireSameRun} triggered once with its message, and each
 * allowance (a larger epoch budget, the same number written another way, the config's own thread
 * setting) accepted. The identities are hand-written JSON, not produced by the code under test.
 */
class SameRunTest {
  private static final Path DIR = Path.of("ck");

  private static JsonNode id(String config, int epochs, int threads) {
    return Json.parse("{\"config\":" + config + ",\"epochs\":" + epochs + ",\"threads\":" + threads
        + ",\"parameters\":10,\"dataSha256\":\"aa\",\"splitSha256\":\"bb\"}");
  }

  private static final String CFG = "{\"trainer\":{\"lr\":0.001,\"threads\":2,\"seed\":1},\"model\":{\"k\":3}}";

  @Test
  void sameRunIsAccepted() {
    assertThatCode(() -> Checkpoints.requireSameRun(DIR, id(CFG, 5, 2), id(CFG, 5, 2))).doesNotThrowAnyException();
    // a larger epoch budget continues the run
    assertThatCode(() -> Checkpoints.requireSameRun(DIR, id(CFG, 5, 2), id(CFG, 9, 2))).doesNotThrowAnyException();
    // 1e-3 and 0.001 are one setting
    String same = "{\"trainer\":{\"lr\":1e-3,\"threads\":2,\"seed\":1},\"model\":{\"k\":3}}";
    assertThatCode(() -> Checkpoints.requireSameRun(DIR, id(CFG, 5, 2), id(same, 5, 2))).doesNotThrowAnyException();
    // the config's thread setting is not compared (absent means the machine's cores); the workers used are
    String otherSetting = "{\"trainer\":{\"lr\":0.001,\"threads\":8,\"seed\":1},\"model\":{\"k\":3}}";
    assertThatCode(() -> Checkpoints.requireSameRun(DIR, id(CFG, 5, 2), id(otherSetting, 5, 2))).doesNotThrowAnyException();
  }

  @Test
  void anotherConfigIsRefusedNamingEachDifference() {
    String other = "{\"trainer\":{\"lr\":0.002,\"threads\":2},\"model\":{\"k\":3,\"extra\":true}}";
    assertThatThrownBy(() -> Checkpoints.requireSameRun(DIR, id(CFG, 5, 2), id(other, 5, 2)))
        .isInstanceOf(PalException.class)
        .hasMessage("checkpoint in ck belongs to another run: config.model.extra was absent, now true; "
            + "config.trainer.lr was 0.001, now 0.002; config.trainer.seed was 1, now absent"
            + ". Resume with the original config and data, or use another checkpoint directory");
  }

  @Test
  void moreThanFiveDifferencesAreCutWithAnEllipsis() {
    String six = "{\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1}";
    String sixOther = "{\"a\":2,\"b\":2,\"c\":2,\"d\":2,\"e\":2,\"f\":2}";
    assertThatThrownBy(() -> Checkpoints.requireSameRun(DIR, id(six, 5, 2), id(sixOther, 5, 2)))
        .hasMessage("checkpoint in ck belongs to another run: config.a was 1, now 2; config.b was 1, now 2; config.c was 1, now 2; "
            + "config.d was 1, now 2; config.e was 1, now 2; .... Resume with the original config and data, or use another checkpoint directory");
    String five = "{\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1}";
    String fiveOther = "{\"a\":2,\"b\":2,\"c\":2,\"d\":2,\"e\":2}";
    assertThatThrownBy(() -> Checkpoints.requireSameRun(DIR, id(five, 5, 2), id(fiveOther, 5, 2)))
        .hasMessageEndingWith("config.e was 1, now 2. Resume with the original config and data, or use another checkpoint directory");
  }

  @Test
  void longValuesAreShortenedTo80Characters() {
    String longText = "x".repeat(100);
    String a = "{\"name\":\"" + longText + "\"}";
    String b = "{\"name\":\"y\"}";
    // the JSON text of the value is the quoted string: 102 characters, shown as its first 77 and "..."
    String shown = ("\"" + longText + "\"").substring(0, 77) + "...";
    assertThatThrownBy(() -> Checkpoints.requireSameRun(DIR, id(a, 5, 2), id(b, 5, 2)))
        .hasMessageContaining("config.name was " + shown + ", now \"y\".");
    // exactly 80 characters are shown whole
    String eighty = "z".repeat(78);
    String c = "{\"name\":\"" + eighty + "\"}";
    assertThatThrownBy(() -> Checkpoints.requireSameRun(DIR, id(c, 5, 2), id(b, 5, 2)))
        .hasMessageContaining("config.name was \"" + eighty + "\", now");
  }

  @Test
  void anotherWorkerCountIsRefused() {
    assertThatThrownBy(() -> Checkpoints.requireSameRun(DIR, id(CFG, 5, 2), id(CFG, 5, 3)))
        .hasMessage("trainer.threads = 3: the checkpoint in ck was written by a run with 2 worker(s), and a run continues exactly only "
            + "with as many; resume with --threads 2 (trainer.threads: 2)");
  }

  @Test
  void aSmallerEpochBudgetIsRefused() {
    assertThatThrownBy(() -> Checkpoints.requireSameRun(DIR, id(CFG, 5, 2), id(CFG, 4, 2)))
        .hasMessage("trainer.epochs = 4: the checkpoint in ck was written by a run of 5 epochs; resume with at least that many "
            + "(only a larger epoch count may differ)");
  }

  @Test
  void theParameterCountAndHashesAreCompared() {
    JsonNode a = id(CFG, 5, 2);
    JsonNode b = Json.parse(a.toString().replace("\"bb\"", "\"cc\"").replace("10", "11"));
    assertThat(b.get("parameters").asInt()).isEqualTo(11);
    assertThatThrownBy(() -> Checkpoints.requireSameRun(DIR, a, b))
        .hasMessageContaining("parameters was 10, now 11; splitSha256 was \"bb\", now \"cc\".");
  }
}
