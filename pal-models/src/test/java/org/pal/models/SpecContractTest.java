package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.SplitDataset;
import org.pal.core.model.Batch;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.Tape;
import org.pal.core.testing.TinyData;

/**
 * Every field of every built-in spec changes what the model computes: its parameters, its margins
 * in evaluation or training mode, or its loss. A field that a component silently ignored would
 * leave all of them unchanged. (PAL-B's learnScale is the one field that leaves the margins of a
 * fresh model alone, by design: it only decides whether the scale is a parameter; see
 * ModelReferenceTest.)
 */
class SpecContractTest {
  private static final SplitDataset DATA = TinyData.make(4, 0, 10, 4, 3, 5);

  static Stream<Arguments> fields() {
    String palA = "{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":4,\"projector\":%s}%s}";
    String mlp = "{\"type\":\"mlp\",\"layers\":3,\"hidden\":4,\"activation\":\"gelu\",\"dropout\":0.3,\"residual\":false,\"bias\":true}";
    String palB = "{\"model\":{\"type\":\"pal-b\",\"k\":2,\"dim\":4,\"itemProjector\":" + mlp + "%s}%s}";
    List<Arguments> out = new ArrayList<>();
    String baseA = String.format(palA, mlp, "");
    String[][] mlpChanges = {{"\"layers\":3", "\"layers\":2"}, {"\"hidden\":4", "\"hidden\":6"}, {"\"gelu\"", "\"relu\""},
        {"\"dropout\":0.3", "\"dropout\":0.6"}, {"\"residual\":false", "\"residual\":true"}, {"\"bias\":true", "\"bias\":false"}};
    for (String[] c : mlpChanges) out.add(Arguments.of("mlp " + c[1], baseA, baseA.replace(c[0], c[1])));
    out.add(Arguments.of("linear bias", String.format(palA, "{\"type\":\"linear\",\"bias\":true}", ""), String.format(palA, "{\"type\":\"linear\",\"bias\":false}", "")));
    out.add(Arguments.of("pal-a projector", baseA, String.format(palA, "{\"type\":\"linear\"}", "")));
    out.add(Arguments.of("pal-a k", baseA, baseA.replace("\"k\":2", "\"k\":3")));
    out.add(Arguments.of("pal-a dim", baseA, baseA.replace("\"dim\":4", "\"dim\":5")));
    out.add(Arguments.of("pal-a prototypeInitStd", baseA, baseA.replace("\"k\":2", "\"k\":2,\"prototypeInitStd\":0.05")));
    String baseB = String.format(palB, "", "");
    out.add(Arguments.of("pal-b k", baseB, baseB.replace("\"k\":2", "\"k\":3")));
    out.add(Arguments.of("pal-b dim", baseB, baseB.replace("\"dim\":4", "\"dim\":5")));
    out.add(Arguments.of("pal-b itemProjector", baseB, String.format(palB.replace(mlp, "{\"type\":\"linear\"}"), ",\"promptProjector\":" + mlp, "")));
    out.add(Arguments.of("pal-b promptProjector", baseB, String.format(palB, ",\"promptProjector\":{\"type\":\"linear\"}", "")));
    out.add(Arguments.of("pal-b logitScaleInit", baseB, String.format(palB, ",\"logitScaleInit\":1.0", "")));
    out.add(Arguments.of("pal-b logitScaleMax", baseB, String.format(palB, ",\"logitScaleMax\":3.0", "")));
    out.add(Arguments.of("pal-b learnScale", baseB, String.format(palB, ",\"learnScale\":false", "")));
    for (String type : new String[] {"softmax", "gumbel-softmax", "partition"}) {
      out.add(Arguments.of(type + " temperature", String.format(palA, mlp, ",\"simplex\":{\"type\":\"" + type + "\"}"),
          String.format(palA, mlp, ",\"simplex\":{\"type\":\"" + type + "\",\"temperature\":0.3}")));
    }
    out.add(Arguments.of("simplex type", baseA, String.format(palA, mlp, ",\"simplex\":{\"type\":\"gumbel-softmax\"}")));
    out.add(Arguments.of("link type", baseA, String.format(palA, mlp, ",\"link\":{\"type\":\"cauchit\"}")));
    out.add(Arguments.of("loss type", baseA, String.format(palA, mlp, ",\"loss\":{\"type\":\"hinge\"}")));
    out.add(Arguments.of("trainer userInitStd", baseA, String.format(palA, mlp, ",\"trainer\":{\"userInitStd\":0.2}")));
    out.add(Arguments.of("trainer seed", baseA, String.format(palA, mlp, ",\"trainer\":{\"seed\":9}")));
    return out.stream();
  }

  /** Parameter names and shapes, margins without and with randomness, and the loss: what a model computes. */
  static List<Object> signature(String json) {
    PalModel m = PalModel.build(Pal.load().registry(), PalConfig.parse(json), 4, 3, DATA.ids(DATA.seenUsers()), DataType.DOUBLE);
    List<Object> sig = new ArrayList<>();
    for (Param p : m.params().params()) sig.add(p.name() + " " + p.rows() + "x" + p.cols());
    Tape t = new Tape(DataType.DOUBLE);
    int[] idx = DATA.train();
    Batch b = Batch.gather(t, DATA.data(), idx, 0, idx.length, DATA.rowIndex(DATA.seenUsers()));
    sig.add(java.util.Arrays.toString(m.margins(t, b, m.users(), null).value().toDoubleArray()));
    var train = m.margins(t, b, m.users(), new Random(3));
    sig.add(java.util.Arrays.toString(train.value().toDoubleArray()));
    sig.add(m.loss(t, train, b).scalar());
    return sig;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fields")
  void changingTheFieldChangesTheModel(String field, String base, String changed) {
    assertThat(changed).as("the test changes the config").isNotEqualTo(base);
    assertThat(signature(changed)).as(field).isNotEqualTo(signature(base));
  }
}
