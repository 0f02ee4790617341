package org.pal.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.SplitDataset;
import org.pal.core.experiment.RunResult;
import org.pal.core.experiment.Sweep;

class SyntheticDatasetTest {
  private static SyntheticDataset.Spec spec(int users, int pairs, int unseen, String setting) {
    return new SyntheticDataset.Spec(16, 3, users, pairs, null, 50, 1.0, setting, unseen, 20);
  }

  @Test
  void splitsHaveThePromisedSizesAndNeverOverlap() {
    SplitDataset s = new SyntheticDataset(spec(10, 100, 4, "mixture")).load(0);
    assertThat(s.train()).hasSize(10 * 100);
    assertThat(s.validation()).hasSize(10 * 20);
    assertThat(s.test()).hasSize(10 * 50);
    assertThat(s.unseen()).hasSize(4 * (20 + 50));
    Set<Integer> all = IntStream.concat(IntStream.concat(Arrays.stream(s.train()), Arrays.stream(s.validation())),
        IntStream.concat(Arrays.stream(s.test()), Arrays.stream(s.unseen()))).boxed().collect(Collectors.toSet());
    assertThat(all).hasSize(s.data().pairs().size());
    for (int p : s.unseen()) assertThat(s.data().pairs().user[p]).isGreaterThanOrEqualTo(10);
    for (int p : s.train()) assertThat(s.data().pairs().user[p]).isLessThan(10);
  }

  @Test
  void sameSeedSameDataOtherSeedOtherData() {
    SplitDataset a = new SyntheticDataset(spec(5, 20, 2, "mixture")).load(7), b = new SyntheticDataset(spec(5, 20, 2, "mixture")).load(7);
    SplitDataset c = new SyntheticDataset(spec(5, 20, 2, "mixture")).load(8);
    assertThat(a.data().hash()).isEqualTo(b.data().hash()).isNotEqualTo(c.data().hash());
  }

  @Test
  void labelsAreBalancedAndItemsHaveVariance1OverD() {
    SplitDataset s = new SyntheticDataset(spec(50, 100, 0, "partition")).load(1);
    double pos = 0;
    for (byte l : s.data().pairs().label) pos += l > 0 ? 1 : 0;
    assertThat(pos / s.data().pairs().size()).isBetween(0.45, 0.55);
    double var = 0;
    for (float v : s.data().items().data()) var += v * v;
    assertThat(var / s.data().items().data().length).isCloseTo(1.0 / 16, org.assertj.core.data.Offset.offset(0.003));
  }

  @Test
  void badSpecsNameTheField() {
    assertThatThrownBy(() -> new SyntheticDataset.Spec(16, 3, 10, 10, null, 5, 1.0, "clusters", 0, 5))
        .hasMessageContaining("setting = \"clusters\"").hasMessageContaining("[mixture, partition]");
    assertThatThrownBy(() -> new SyntheticDataset.Spec(0, 3, 10, 10, null, 5, 1.0, "mixture", 0, 5)).hasMessageContaining("dim = 0");
  }

  /**
   * The paper's setting (d = 16, K* = 3, 100 users x 100 pairs, mixture) with fewer epochs than the
   * study (300 instead of 1000, to keep CI short): K = 3 separates the users the homogeneous K = 1
   * model cannot, on held-out pairs, and new users are localised from 20 comparisons.
   */
  @Test
  void palAFindsTheHeterogeneityThatK1Misses() {
    PalConfig cfg = PalConfig.parse("{\"model\":{\"type\":\"pal-a\",\"dim\":16,\"projector\":{\"type\":\"linear\",\"bias\":false}},"
        + "\"loss\":{\"type\":\"hinge\"},\"trainer\":{\"epochs\":300,\"batchSize\":128}}");
    List<RunResult> runs = new Sweep(Pal.load().registry()).run(new SyntheticDataset(spec(100, 100, 30, "mixture")), cfg,
        List.of(1, 3), List.of(0L), 20, null, name -> null);
    RunResult k1 = runs.get(0), k3 = runs.get(1);
    assertThat(k3.seenAccuracy()).as("K=3 seen accuracy").isGreaterThanOrEqualTo(0.96);
    assertThat(k3.seenAccuracy() - k1.seenAccuracy()).as("K=3 over K=1").isGreaterThanOrEqualTo(0.08);
    assertThat(k3.unseenAccuracy()).as("K=3 few-shot accuracy with 20 pairs").isGreaterThanOrEqualTo(0.91);
    assertThat(k3.unseenAccuracy()).as("few-shot beats the mean user").isGreaterThan(k3.zeroShotAccuracy());
    assertThat(k3.seenTestPairs()).isEqualTo(100 * 50);
    assertThat(k3.unseenTestPairs()).isEqualTo(30 * 50);
  }
}
