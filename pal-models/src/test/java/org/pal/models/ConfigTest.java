package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.PalException;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.model.PalModel;

/** Configs are strict: unknown fields and types are errors naming the path and the valid options. */
class ConfigTest {
  private final ComponentRegistry registry = Pal.load().registry();

  private PalModel build(String json, int promptDim) {
    return PalModel.build(registry, PalConfig.parse(json), 4, promptDim, List.of("a", "b"), DataType.FLOAT);
  }

  @Test
  void unknownModelFieldNamesPathAndValidFields() {
    assertThatThrownBy(() -> build("{\"model\":{\"type\":\"pal-a\",\"kk\":3}}", 0))
        .isInstanceOf(PalException.class)
        .hasMessageContaining("model: unknown field 'kk'")
        .hasMessageContaining("valid fields: [dim, k, projector, prototypeInitStd]");
  }

  @Test
  void unknownNestedTypeListsValidTypes() {
    assertThatThrownBy(() -> build("{\"model\":{\"type\":\"pal-a\",\"projector\":{\"type\":\"transformer\"}}}", 0))
        .hasMessageContaining("model.projector.type = \"transformer\"")
        .hasMessageContaining("[linear, mlp]");
  }

  @Test
  void unknownTopLevelFieldAndTrainerField() {
    assertThatThrownBy(() -> PalConfig.parse("{\"model\":{\"type\":\"pal-a\"},\"optimiser\":{}}"))
        .hasMessageContaining("unknown field 'optimiser'").hasMessageContaining("trainer");
    assertThatThrownBy(() -> PalConfig.parse("{\"model\":{\"type\":\"pal-a\"},\"trainer\":{\"epoch\":3}}"))
        .hasMessageContaining("config.trainer: unknown field 'epoch'").hasMessageContaining("epochs");
  }

  @Test
  void badValuesNameFieldAndValue() {
    assertThatThrownBy(() -> build("{\"model\":{\"type\":\"pal-a\",\"k\":0}}", 0))
        .hasMessageContaining("model.k = 0").extracting(e -> ((PalException) e).kind()).isEqualTo(PalException.Kind.USER_INPUT);
    assertThatThrownBy(() -> build("{\"model\":{\"type\":\"pal-a\",\"projector\":{\"type\":\"mlp\",\"activation\":\"swish\"}}}", 0))
        .hasMessageContaining("activation = \"swish\"").hasMessageContaining("[gelu, relu]");
    assertThatThrownBy(() -> build("{\"model\":{\"type\":\"pal-b\",\"k\":2}}", 0))
        .hasMessageContaining("pal-b").hasMessageContaining("use pal-a");
    assertThatThrownBy(() -> build("{\"model\":{\"type\":\"pal-a\"},\"loss\":{\"type\":\"square\"}}", 0))
        .hasMessageContaining("loss.type = \"square\"").hasMessageContaining("[hinge, logistic]");
    assertThatThrownBy(() -> PalConfig.parse("{\"model\":{\"type\":\"pal-a\"},\"trainer\":{\"groups\":{\"mapping\":{\"lr\":-1}}}}"))
        .hasMessageContaining("lr = -1");
  }

  @Test
  void defaultsResolveToAWorkingModel() {
    PalModel m = build("{\"model\":{\"type\":\"pal-b\",\"k\":2,\"dim\":8}}", 3);
    assertThat(m.k()).isEqualTo(2);
    assertThat(m.params().params()).extracting(p -> p.name()).contains("f.layer0.weight", "g1.layer2.bias", "logitScale", "users");
    assertThat(m.params().get("logitScale").value().get(0)).isEqualTo((float) Math.log(1 / 0.07), org.assertj.core.data.Offset.offset(1e-6));
  }
}
