package org.pal.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.pal.core.testing.TinyData;

class SplitsTest {
  private final PreferenceDataset data = TinyData.make(20, 0, 30, 3, 0, 1).data();

  @Test
  void deterministicBySeedAndDisjoint() {
    SplitDataset a = Splits.bySeed(data, 0.2, 0.1, 0.2, 5), b = Splits.bySeed(data, 0.2, 0.1, 0.2, 5), c = Splits.bySeed(data, 0.2, 0.1, 0.2, 6);
    assertThat(a.train()).containsExactly(b.train());
    assertThat(a.unseenUsers()).containsExactly(b.unseenUsers());
    assertThat(a.unseenUsers()).isNotEqualTo(c.unseenUsers());
    assertThat(a.unseenUsers()).hasSize(4);
    assertThat(a.seenUsers()).hasSize(16);
    Set<Integer> all = new HashSet<>();
    for (int[] part : new int[][] {a.train(), a.validation(), a.test(), a.unseen()}) for (int p : part) assertThat(all.add(p)).isTrue();
    assertThat(all).hasSize(data.pairs().size());
    Set<Integer> unseen = new HashSet<>();
    for (int u : a.unseenUsers()) unseen.add(u);
    for (int p : a.unseen()) assertThat(unseen).contains(data.pairs().user[p]);
    for (int p : a.train()) assertThat(unseen).doesNotContain(data.pairs().user[p]);
    // every seen user has 3 validation and 6 test pairs out of 30
    for (int u : a.seenUsers()) {
      assertThat(IntStream.of(a.validation()).filter(p -> data.pairs().user[p] == u).count()).isEqualTo(3);
      assertThat(IntStream.of(a.test()).filter(p -> data.pairs().user[p] == u).count()).isEqualTo(6);
    }
    assertThat(Arrays.stream(a.unseen()).sorted().toArray()).containsExactly(a.unseen()); // data order kept
  }

  @Test
  void badSharesNameTheField() {
    assertThatThrownBy(() -> Splits.bySeed(data, 1.0, 0.1, 0.1, 0)).hasMessageContaining("unseenShare = 1.0");
    assertThatThrownBy(() -> Splits.bySeed(data, 0.1, 0.5, 0.5, 0)).hasMessageContaining("validationShare + testShare");
  }
}
