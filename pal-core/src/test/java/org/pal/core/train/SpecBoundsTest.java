package org.pal.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pal.core.PalException;

/** The trainer's settings: defaults, the smallest valid value of each bound, and the first invalid one. */
class SpecBoundsTest {
  private static TrainerSpec trainer(Integer epochs, Integer batchSize, Integer patience, Integer stepsPerEpoch) {
    return new TrainerSpec(epochs, batchSize, null, patience, null, null, null, stepsPerEpoch);
  }

  @Test
  void trainerBounds() {
    TrainerSpec d = TrainerSpec.defaults();
    assertThat(d.epochs()).isEqualTo(100);
    assertThat(d.batchSize()).isEqualTo(256);
    assertThat(d.seed()).isZero();
    assertThat(d.patience()).isZero();
    assertThat(d.userInitStd()).isEqualTo(1.0);
    assertThat(d.stepsPerEpoch()).isNull();
    assertThat(trainer(1, 1, 0, 1).epochs()).isEqualTo(1);
    assertThatThrownBy(() -> trainer(0, 1, 0, null)).isInstanceOf(PalException.class).hasMessageContaining("trainer.epochs = 0");
    assertThatThrownBy(() -> trainer(1, 0, 0, null)).hasMessageContaining("trainer.batchSize = 0");
    assertThatThrownBy(() -> trainer(1, 1, -1, null)).hasMessageContaining("trainer.patience = -1");
    assertThatThrownBy(() -> trainer(1, 1, 0, 0)).hasMessageContaining("trainer.stepsPerEpoch = 0");
    TrainerSpec t = d.withSeed(7).withBatchSize(3).withEpochs(2);
    assertThat(t.seed()).isEqualTo(7);
    assertThat(t.batchSize()).isEqualTo(3);
    assertThat(t.epochs()).isEqualTo(2);
    assertThat(t.groups()).isEqualTo(d.groups());
    // paper defaults (Appendix C.1); a group nobody configured falls back to "default"
    assertThat(d.group("mapping")).isEqualTo(new GroupSpec(5e-4, 1e-3));
    assertThat(d.group("users")).isEqualTo(new GroupSpec(5e-3, 0.0));
    assertThat(d.group("plugin-group")).isEqualTo(new GroupSpec(1e-3, 0.0));
    TrainerSpec custom = new TrainerSpec(null, null, null, null, Map.of("users", new GroupSpec(0.1, null)), null, null, null);
    assertThat(custom.group("users").lr()).isEqualTo(0.1);
    assertThat(custom.group("mapping")).isEqualTo(new GroupSpec(5e-4, 1e-3));
  }

  @Test
  void groupBounds() {
    assertThat(new GroupSpec(null, null)).isEqualTo(new GroupSpec(1e-3, 0.0));
    assertThat(new GroupSpec(Double.MIN_VALUE, 0.0).weightDecay()).isZero();
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> new GroupSpec(bad, 0.0)).hasMessageContaining("lr = ");
    }
    for (double bad : new double[] {-1e-9, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> new GroupSpec(0.1, bad)).hasMessageContaining("weightDecay = ");
    }
  }

  @Test
  void adaptBounds() {
    AdaptSpec d = AdaptSpec.defaults();
    assertThat(d).isEqualTo(new AdaptSpec(300, 5e-2, 0.2, 50, 1024));
    AdaptSpec smallest = new AdaptSpec(1, Double.MIN_VALUE, 0.0, 0, 1);
    assertThat(smallest.epochs()).isEqualTo(1);
    assertThatThrownBy(() -> new AdaptSpec(0, null, null, null, null)).hasMessageContaining("adapt.epochs = 0");
    assertThatThrownBy(() -> new AdaptSpec(null, 0.0, null, null, null)).hasMessageContaining("adapt.lr = 0.0");
    assertThatThrownBy(() -> new AdaptSpec(null, Double.NaN, null, null, null)).hasMessageContaining("adapt.lr");
    assertThatThrownBy(() -> new AdaptSpec(null, null, 1.0, null, null)).hasMessageContaining("adapt.validationShare = 1.0");
    assertThatThrownBy(() -> new AdaptSpec(null, null, -0.01, null, null)).hasMessageContaining("adapt.validationShare = -0.01");
    assertThatThrownBy(() -> new AdaptSpec(null, null, null, null, 0)).hasMessageContaining("adapt.batchSize = 0");
  }
}
