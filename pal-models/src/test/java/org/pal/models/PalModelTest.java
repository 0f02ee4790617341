package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.ParamStore;
import org.pal.core.tensor.Tape;

/** The assembled model's own operations: user rows, weights, explicit weights, adding users, build checks. */
class PalModelTest {
  private final ComponentRegistry registry = Pal.load().registry();
  private static final String JSON = "{\"model\":{\"type\":\"pal-a\",\"k\":3,\"dim\":2},\"simplex\":{\"type\":\"softmax\",\"temperature\":0.5}}";

  private PalModel model(List<String> ids) {
    return PalModel.build(registry, PalConfig.parse(JSON), 4, 0, ids, DataType.DOUBLE);
  }

  @Test
  void weightsOfAreTheSimplexMapOfEachRow() {
    PalModel m = model(List.of("a", "b"));
    double[][] w = m.weightsOf(m.users());
    for (int i = 0; i < 2; i++) {
      double s = 0;
      for (int j = 0; j < 3; j++) s += Math.exp(m.users().value().get(i, j) / 0.5);
      for (int j = 0; j < 3; j++) assertThat(w[i][j]).isCloseTo(Math.exp(m.users().value().get(i, j) / 0.5) / s, offset(1e-12));
    }
    assertThat(m.simplex()).isInstanceOf(SimplexMaps.Softmax.class);
    assertThat(m.link()).isInstanceOf(Links.Logistic.class);
    assertThat(m.k()).isEqualTo(3);
  }

  @Test
  void userRowsAndExplicitWeights() {
    PalModel m = model(List.of("a", "b", "c"));
    assertThat(m.userRow("a")).isZero();
    assertThat(m.userRow("c")).isEqualTo(2);
    assertThatThrownBy(() -> m.userRow("d")).hasMessageContaining("user = d").hasMessageContaining("3 users");
    Tape t = new Tape(DataType.DOUBLE);
    assertThat(m.constantWeights(t, new double[][] {{0.2, 0.3, 0.5}, {1, 0, 0}}).value().toDoubleArray()).containsExactly(0.2, 0.3, 0.5, 1, 0, 0);
    assertThatThrownBy(() -> m.constantWeights(t, new double[][] {{0.2, 0.3, 0.5}, {0.5, 0.5}}))
        .hasMessageContaining("weights[1].length = 2").hasMessageContaining("K = 3");
    assertThatThrownBy(() -> m.constantWeights(t, new double[][] {{0.1, 0.1, 0.1, 0.7}})).hasMessageContaining("weights[0].length = 4");
  }

  @Test
  void withUsersCopiesEverythingAndAppendsTheNewLogits() {
    PalModel m = model(List.of("a", "b"));
    ParamStore fresh = m.newUserTable(2);
    Param logits = fresh.get(PalModel.USERS);
    assertThat(logits.value().toDoubleArray()).as("new users start uniform").containsOnly(0.0);
    for (int i = 0; i < logits.value().size(); i++) logits.value().set(i, i + 1);
    PalModel more = m.withUsers(registry, List.of("c", "d"), logits);
    assertThat(more.userIds()).containsExactly("a", "b", "c", "d");
    double[] old = m.users().value().toDoubleArray();
    double[] all = more.users().value().toDoubleArray();
    assertThat(java.util.Arrays.copyOfRange(all, 0, 6)).containsExactly(old);
    assertThat(java.util.Arrays.copyOfRange(all, 6, 12)).containsExactly(1, 2, 3, 4, 5, 6);
    for (Param p : m.params().params()) {
      if (p.name().equals(PalModel.USERS)) continue;
      assertThat(more.params().get(p.name()).value().toDoubleArray()).as(p.name()).containsExactly(p.value().toDoubleArray());
    }
    assertThatThrownBy(() -> m.withUsers(registry, List.of("c", "b"), logits)).hasMessageContaining("user = b").hasMessageContaining("already a user");
  }

  @Test
  void buildChecksItsInputs() {
    assertThatThrownBy(() -> PalModel.build(registry, PalConfig.parse(JSON), 0, 0, List.of("a"), DataType.DOUBLE)).hasMessageContaining("itemDim = 0");
    assertThat(PalModel.build(registry, PalConfig.parse(JSON), 1, 0, List.of("a"), DataType.DOUBLE).itemDim()).isEqualTo(1);
    assertThatThrownBy(() -> PalModel.build(registry, PalConfig.parse(JSON), 4, 0, List.of(), DataType.DOUBLE)).hasMessageContaining("users = []");
    assertThatThrownBy(() -> PalModel.build(registry, PalConfig.parse(JSON.replace("\"k\":3", "\"k\":0")), 4, 0, List.of("a"), DataType.DOUBLE))
        .hasMessageContaining("model.k = 0");
    assertThat(PalModel.build(registry, PalConfig.parse(JSON.replace("\"k\":3", "\"k\":1")), 4, 0, List.of("a"), DataType.DOUBLE).k()).isEqualTo(1);
    assertThat(PalModel.build(registry, PalConfig.parse("{\"model\":{\"type\":\"pal-a\"}}"), 4, 0, List.of("a"), DataType.DOUBLE).users().cols())
        .as("k defaults to 1").isEqualTo(1);
  }

  @Test
  void defaultsAndBoundsOfTheBuiltInSpecs() {
    // PAL-A's prototypes start at N(0, 1/in): in = 100 here
    PalModel a = PalModel.build(registry, PalConfig.parse("{\"model\":{\"type\":\"pal-a\",\"k\":60}}"), 100, 0, List.of("u"), DataType.DOUBLE);
    double[] p = a.params().get("prototypes").value().toDoubleArray();
    double ss = 0;
    for (double v : p) ss += v * v;
    assertThat(Math.sqrt(ss / p.length)).isCloseTo(0.1, offset(0.005));
    assertThat(a.params().get("f.weight").cols()).as("dim defaults to 16").isEqualTo(16);
    // the smallest valid values build; the next ones down are refused
    String[] ok = {"{\"type\":\"pal-a\",\"k\":1,\"dim\":1,\"projector\":{\"type\":\"mlp\",\"layers\":1,\"hidden\":1,\"dropout\":0.0}}",
        "{\"type\":\"pal-a\",\"projector\":{\"type\":\"mlp\",\"layers\":2,\"hidden\":1,\"dropout\":0.999}}",
        "{\"type\":\"pal-b\",\"k\":1,\"dim\":1}"};
    for (String m : ok) {
      assertThat(PalModel.build(registry, PalConfig.parse("{\"model\":" + m + ",\"simplex\":{\"type\":\"softmax\",\"temperature\":1e-9}}"), 2, 1, List.of("u"), DataType.DOUBLE))
          .as(m).isNotNull();
    }
    String[][] bad = {{"{\"type\":\"pal-a\",\"dim\":0}", "dim = 0"}, {"{\"type\":\"pal-b\",\"dim\":0}", "dim = 0"},
        {"{\"type\":\"pal-a\",\"projector\":{\"type\":\"mlp\",\"layers\":0}}", "layers = 0"},
        {"{\"type\":\"pal-a\",\"projector\":{\"type\":\"mlp\",\"hidden\":0}}", "hidden = 0"},
        {"{\"type\":\"pal-a\",\"projector\":{\"type\":\"mlp\",\"dropout\":1.0}}", "dropout = 1.0"},
        {"{\"type\":\"pal-a\",\"projector\":{\"type\":\"mlp\",\"dropout\":-0.1}}", "dropout = -0.1"}};
    for (String[] b : bad) {
      assertThatThrownBy(() -> PalModel.build(registry, PalConfig.parse("{\"model\":" + b[0] + "}"), 2, 1, List.of("u"), DataType.DOUBLE))
          .as(b[0]).hasMessageContaining(b[1]);
    }
    // PAL-B needs prompts: one prompt dimension is enough
    assertThatThrownBy(() -> PalModel.build(registry, PalConfig.parse("{\"model\":{\"type\":\"pal-b\"}}"), 2, 0, List.of("u"), DataType.DOUBLE))
        .hasMessageContaining("use pal-a");
    assertThat(PalModel.build(registry, PalConfig.parse("{\"model\":{\"type\":\"pal-b\",\"k\":2}}"), 2, 1, List.of("u"), DataType.DOUBLE).params().params())
        .extracting(Param::name).contains("g0.layer2.bias", "g1.layer2.bias").doesNotContain("g2.layer0.weight");
  }

  @Test
  void projectorsReportTheirWidths() {
    ParamStore store = new ParamStore(DataType.DOUBLE);
    var ctx = new org.pal.core.spi.BuildContext(registry, store, "p", "mapping", 7, 3, 7, 0, 1, "projector");
    for (String type : new String[] {"linear", "mlp"}) {
      var proj = registry.create(org.pal.core.spi.ExtensionPoint.PROJECTOR, PalConfig.typed(type), ctx.child(type, "mapping", 7, 3, type));
      assertThat(proj.inDim()).as(type).isEqualTo(7);
      assertThat(proj.outDim()).as(type).isEqualTo(3);
    }
  }
}
