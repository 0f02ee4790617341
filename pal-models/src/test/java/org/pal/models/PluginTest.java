package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.SplitDataset;
import org.pal.core.eval.Evaluator;
import org.pal.core.model.Batch;
import org.pal.core.model.PalModel;
import org.pal.core.spi.ExtensionPoint;
import org.pal.core.testing.GradCheck;
import org.pal.core.testing.TinyData;
import org.pal.core.train.TrainResult;
import org.pal.core.train.Trainer;

class PluginTest {
  private final ComponentRegistry registry = Pal.load().registry();

  @Test
  void serviceLoaderFindsBuiltInsAndTheTestPluginAlike() {
    assertThat(registry.names(ExtensionPoint.MODEL)).contains("pal-a", "pal-b", "test-bilinear");
    assertThat(registry.names(ExtensionPoint.LINK)).contains("logistic", "cauchit", "test-tanh");
    assertThat(registry.names(ExtensionPoint.LOSS)).containsExactly("hinge", "logistic");
    assertThat(registry.names(ExtensionPoint.SIMPLEX)).containsExactly("gumbel-softmax", "partition", "softmax");
    assertThat(registry.names(ExtensionPoint.PROJECTOR)).containsExactly("linear", "mlp");
  }

  @Test
  void unchangedTrainerTrainsThePluginModelWithThePluginLink() {
    SplitDataset split = TinyData.make(20, 0, 60, 6, 0, 3);
    PalConfig cfg = PalConfig.parse("{\"model\":{\"type\":\"test-bilinear\",\"k\":2,\"rank\":3},\"link\":{\"type\":\"test-tanh\"},"
        + "\"trainer\":{\"epochs\":40,\"batchSize\":64,\"groups\":{\"mapping\":{\"lr\":0.02},\"prototypes\":{\"lr\":0.02},\"users\":{\"lr\":0.05}}}}");
    PalModel model = PalModel.build(registry, cfg, 6, 0, split.ids(split.seenUsers()), DataType.FLOAT);
    assertThat(model.variant()).isInstanceOf(TestPlugin.Bilinear.class);
    assertThat(model.link()).isInstanceOf(TestPlugin.TanhLink.class);
    int linkBefore = TestPlugin.LINK_CALLS.get(), modelBefore = TestPlugin.MODEL_CALLS.get();
    TrainResult r = new Trainer(cfg.trainer(), null).fit(model, split, null, false);
    assertThat(TestPlugin.LINK_CALLS.get() - linkBefore).as("link calls").isGreaterThanOrEqualTo(40);
    assertThat(TestPlugin.MODEL_CALLS.get() - modelBefore).as("model calls").isGreaterThanOrEqualTo(40);
    double acc = Evaluator.accuracy(model, split.data(), split.test(), split.rowIndex(split.seenUsers()), model.users());
    // two groups with opposite-ish hidden directions: the bilinear model can fit them
    assertThat(acc).as("held-out accuracy of the plugin model").isGreaterThan(0.8);
    assertThat(r.epochsRun()).isEqualTo(40);
  }

  @Test
  void pluginGradientsAreCheckedLikeBuiltIns() {
    SplitDataset split = TinyData.make(5, 0, 8, 4, 0, 1);
    PalModel model = PalModel.build(registry, PalConfig.parse("{\"model\":{\"type\":\"test-bilinear\",\"k\":3},\"link\":{\"type\":\"test-tanh\"}}"),
        4, 0, split.ids(split.seenUsers()), DataType.DOUBLE);
    int[] rows = split.rowIndex(split.seenUsers());
    GradCheck.Result r = GradCheck.run(model.params(), tape -> {
      Batch b = Batch.gather(tape, split.data(), split.train(), 0, split.train().length, rows);
      return model.loss(tape, model.margins(tape, b, model.users(), new Random(1)), b);
    }, 500);
    assertThat(r.worst()).as(r.worstAt()).isLessThan(1e-5);
  }
}
