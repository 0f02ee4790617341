package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.pal.core.testing.GradCheck;
import org.pal.core.testing.TinyData;

/**
 * Both models end to end (user logits -> simplex map -> model -> link -> loss) against central
 * finite differences in float64, over every built-in projector, link, loss and simplex map.
 */
class ModelGradientTest {
  static Stream<Arguments> configs() {
    return Stream.of(
        Arguments.of("pal-a linear no bias, hinge", 0,
            "{\"model\":{\"type\":\"pal-a\",\"k\":3,\"dim\":4,\"projector\":{\"type\":\"linear\",\"bias\":false}},\"loss\":{\"type\":\"hinge\"}}"),
        Arguments.of("pal-a linear bias, logistic, prompts", 3,
            "{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":4,\"projector\":{\"type\":\"linear\"}}}"),
        Arguments.of("pal-a mlp relu residual dropout, cauchit, gumbel", 3,
            "{\"model\":{\"type\":\"pal-a\",\"k\":3,\"dim\":5,\"projector\":{\"type\":\"mlp\",\"layers\":3,\"activation\":\"relu\",\"dropout\":0.3,\"residual\":true}},"
                + "\"link\":{\"type\":\"cauchit\"},\"simplex\":{\"type\":\"gumbel-softmax\",\"temperature\":0.7}}"),
        Arguments.of("pal-b reference mlp gelu, logistic", 4,
            "{\"model\":{\"type\":\"pal-b\",\"k\":3,\"dim\":5}}"),
        Arguments.of("pal-b K=1 (homogeneous), mlp gelu dropout residual, hinge", 4,
            "{\"model\":{\"type\":\"pal-b\",\"k\":1,\"dim\":4,\"itemProjector\":{\"type\":\"mlp\",\"layers\":2,\"hidden\":6,\"dropout\":0.2,\"residual\":true}},\"loss\":{\"type\":\"hinge\"}}"),
        Arguments.of("pal-b linear, partition simplex, cauchit", 4,
            "{\"model\":{\"type\":\"pal-b\",\"k\":2,\"dim\":3,\"itemProjector\":{\"type\":\"linear\"},\"promptProjector\":{\"type\":\"mlp\",\"layers\":2}},"
                + "\"simplex\":{\"type\":\"partition\",\"temperature\":2.0},\"link\":{\"type\":\"cauchit\"}}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configs")
  void gradientsMatchFiniteDifferences(String name, int promptDim, String json) {
    SplitDataset split = TinyData.make(6, 0, 10, 5, promptDim, 1);
    PalModel model = PalModel.build(Pal.load().registry(), PalConfig.parse(json), 5, promptDim,
        split.ids(split.seenUsers()), DataType.DOUBLE);
    int[] rows = split.rowIndex(split.seenUsers());
    int[] idx = split.train();
    GradCheck.Result r = GradCheck.run(model.params(), tape -> {
      Batch b = Batch.gather(tape, split.data(), idx, 0, idx.length, rows);
      return model.loss(tape, model.margins(tape, b, model.users(), new Random(5)), b);
    }, 1500);
    assertThat(r.gradNorm()).as("gradient norm").isGreaterThan(1e-4);
    assertThat(r.worst()).as(name + ": worst relative error at " + r.worstAt()).isLessThan(1e-5);
  }
}
