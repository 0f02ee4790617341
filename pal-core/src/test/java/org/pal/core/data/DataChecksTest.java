package org.pal.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.PalException;
import org.pal.core.archive.Npy;
import org.pal.core.testing.TinyData;

/** The dataset directory round trip and every check on tables, pairs and splits. */
class DataChecksTest {
  @Test
  void aDatasetDirectoryRoundTripsExactly(@TempDir Path dir) {
    for (int promptDim : new int[] {0, 2}) {
      SplitDataset s = TinyData.make(5, 2, 12, 3, promptDim, 4);
      Path d = dir.resolve("d" + promptDim);
      DatasetDirectory.write(s, d);
      SplitDataset back = DatasetDirectory.read(d);
      assertThat(back.data().hash()).isEqualTo(s.data().hash());
      assertThat(back.seenUsers()).containsExactly(s.seenUsers());
      assertThat(back.unseenUsers()).containsExactly(s.unseenUsers());
      assertThat(back.train()).containsExactly(s.train());
      assertThat(back.validation()).containsExactly(s.validation());
      assertThat(back.test()).containsExactly(s.test());
      assertThat(back.unseen()).containsExactly(s.unseen());
      assertThat(back.data().userIds()).isEqualTo(s.data().userIds());
      assertThat(back.data().promptDim()).isEqualTo(promptDim);
      Npy.Array pairs = Npy.read(d.resolve("pairs.npy"));
      assertThat(pairs.cols()).isEqualTo(5);
      int p = 7;
      Pairs q = s.data().pairs();
      assertThat(java.util.Arrays.copyOfRange(pairs.toInts(), 5 * p, 5 * p + 5)).containsExactly(q.user[p], q.prompt[p], q.left[p], q.right[p], q.label[p]);
    }
  }

  @Test
  void brokenDatasetDirectoriesAreRefused(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> DatasetDirectory.read(dir.resolve("none"))).hasMessageContaining("is not a directory");
    assertThatThrownBy(() -> DatasetDirectory.read(dir)).hasMessageContaining("has no dataset.json");
    SplitDataset s = TinyData.make(3, 0, 10, 2, 0, 1);
    Path d = dir.resolve("d");
    DatasetDirectory.write(s, d);
    Files.writeString(d.resolve("dataset.json"), "{\"formatVersion\":1,\"users\":{}}");
    assertThatThrownBy(() -> DatasetDirectory.read(d)).hasMessageContaining("users").hasMessageContaining("array of {id, seen}");
    Files.writeString(d.resolve("dataset.json"), "{\"formatVersion\":1}");
    assertThatThrownBy(() -> DatasetDirectory.read(d)).hasMessageContaining("array of {id, seen}");
    Files.writeString(d.resolve("dataset.json"), "{\"users\":[{\"id\":\"a\"},{\"seen\":true}]}");
    assertThatThrownBy(() -> DatasetDirectory.read(d)).hasMessageContaining("users[1]").hasMessageContaining("'id' is missing");
    Files.writeString(d.resolve("dataset.json"), "{\"users\":[{\"id\":\"a\"},{\"id\":\"b\",\"seen\":false},{\"id\":\"c\"}]}");
    SplitDataset back = DatasetDirectory.read(d);
    assertThat(back.seenUsers()).containsExactly(0, 2);
    assertThat(back.unseenUsers()).containsExactly(1);
    Npy.writeInts(d.resolve("pair_split.npy"), 29, 1, new int[29]);
    assertThatThrownBy(() -> DatasetDirectory.read(d)).hasMessageContaining("pair_split.npy rows = 29").hasMessageContaining("30");
    int[] split = new int[30];
    split[4] = 7;
    Npy.writeInts(d.resolve("pair_split.npy"), 30, 1, split);
    assertThatThrownBy(() -> DatasetDirectory.read(d)).hasMessageContaining("pair_split.npy[4] = 7");
    Npy.writeInts(d.resolve("pairs.npy"), 30, 4, new int[120]);
    assertThatThrownBy(() -> DatasetDirectory.read(d)).hasMessageContaining("columns = 4").hasMessageContaining("expected 5");
    writeUnchecked(d.resolve("prompts.npy"), 1, 2, new float[] {1, Float.NaN});
    assertThatThrownBy(() -> DatasetDirectory.read(d)).hasMessageContaining("prompts[row 0, column 1] = NaN");
    org.pal.core.archive.OutputDir.claim(d, true); // replacing PAL's own output is asked for explicitly
    DatasetDirectory.write(s, d);
    float[] items = s.data().items().data().clone();
    items[2 * 3 + 1] = Float.POSITIVE_INFINITY;
    writeUnchecked(d.resolve("items.npy"), s.data().items().rows(), 2, items);
    assertThatThrownBy(() -> DatasetDirectory.read(d)).hasMessageContaining("items[row 3, column 1] = Infinity");
  }

  @Test
  void tablesAndPairsCheckTheirShapes() {
    assertThatThrownBy(() -> new Table("t", new float[4], 2, 0)).hasMessageContaining("t.dim = 0");
    assertThatThrownBy(() -> new Table("t", new float[5], 2, 2)).hasMessageContaining("t.size = 5").hasMessageContaining("2 x 2");
    Table t = Table.of("t", new float[][] {{1, 2}, {3, 4}, {5, 6}});
    assertThat(t.rows()).isEqualTo(3);
    assertThat(t.get(2, 1)).isEqualTo(6f);
    assertThat(t.get(1, 0)).isEqualTo(3f);
    assertThatThrownBy(() -> Table.of("t", new float[0][])).hasMessageContaining("at least one vector");
    assertThatThrownBy(() -> Table.of("t", new float[][] {{1, 2}, {3}})).hasMessageContaining("t[row 1] length = 1");
    assertThatThrownBy(() -> Table.of("t", new float[][] {{1, 2}, {3, Float.NaN}})).hasMessageContaining("t[row 1, column 1] = NaN");
    for (int[][] bad : new int[][][] {{{1}, {0, 0}, {0}, {0}}, {{1}, {0}, {0, 0}, {0}}, {{1}, {0}, {0}, {0, 1}}}) {
      assertThatThrownBy(() -> new Pairs(bad[0], bad[1], bad[2], bad[3], new byte[] {1})).hasMessageContaining("differ in length");
    }
    assertThatThrownBy(() -> new Pairs(new int[1], new int[1], new int[1], new int[1], new byte[2])).hasMessageContaining("differ in length");
    Table prompts = Table.of("prompts", new float[][] {{1}, {2}});
    assertThatThrownBy(() -> data(t, prompts, 0, 2, 0, 1, 1)).hasMessageContaining("pairs[0].prompt = 2").hasMessageContaining("0..1");
    assertThatThrownBy(() -> data(t, prompts, 0, -1, 0, 1, 1)).hasMessageContaining("pairs[0].prompt = -1");
    assertThatThrownBy(() -> data(t, null, 0, 0, 0, 1, 1)).hasMessageContaining("pairs[0].prompt = 0").hasMessageContaining("use -1");
    assertThatThrownBy(() -> data(t, null, 1, -1, 0, 1, 1)).hasMessageContaining("pairs[0].user = 1");
    assertThatThrownBy(() -> data(t, null, -1, -1, 0, 1, 1)).hasMessageContaining("pairs[0].user = -1");
    assertThatThrownBy(() -> data(t, null, 0, -1, 3, 1, 1)).hasMessageContaining("pairs[0].left = 3");
    assertThatThrownBy(() -> data(t, null, 0, -1, 0, 1, 2)).hasMessageContaining("pairs[0].label = 2");
    assertThat(data(t, prompts, 0, 1, 0, 2, -1).promptDim()).isEqualTo(1);
    assertThat(data(t, null, 0, -1, 0, 2, -1).promptDim()).isZero();
    // the hash covers tables, pairs and ids: any change changes it
    String h = data(t, prompts, 0, 1, 0, 2, -1).hash();
    assertThat(h).hasSize(64).isEqualTo(data(t, prompts, 0, 1, 0, 2, -1).hash());
    assertThat(List.of(data(t, prompts, 0, 0, 0, 2, -1).hash(), data(t, prompts, 0, 1, 1, 2, -1).hash(), data(t, prompts, 0, 1, 0, 1, -1).hash(),
        data(t, prompts, 0, 1, 0, 2, 1).hash(), data(t, Table.of("prompts", new float[][] {{1}, {3}}), 0, 1, 0, 2, -1).hash(),
        data(Table.of("t", new float[][] {{1, 2}, {3, 4}, {5, 7}}), prompts, 0, 1, 0, 2, -1).hash(), data(t, null, 0, -1, 0, 2, -1).hash()))
        .doesNotContain(h).doesNotHaveDuplicates();
    Table large = new Table("large", new float[5000], 5000, 1);
    float[] changed = new float[5000];
    changed[4500] = 1;
    assertThat(new PreferenceDataset(large, null, List.of("u"), pair(0, -1, 0, 1, 1)).hash())
        .as("values past the first 4,096 count").isNotEqualTo(new PreferenceDataset(new Table("large", changed, 5000, 1), null, List.of("u"), pair(0, -1, 0, 1, 1)).hash());
  }

  private static Pairs pair(int user, int prompt, int left, int right, int label) {
    return new Pairs(new int[] {user}, new int[] {prompt}, new int[] {left}, new int[] {right}, new byte[] {(byte) label});
  }

  private static PreferenceDataset data(Table items, Table prompts, int user, int prompt, int left, int right, int label) {
    return new PreferenceDataset(items, prompts, List.of("u"), pair(user, prompt, left, right, label));
  }

  @Test
  void splitsCheckTheirParts() {
    SplitDataset s = TinyData.make(4, 2, 10, 2, 0, 3);
    assertThatThrownBy(() -> new SplitDataset(s.data(), new int[0], s.unseenUsers(), s.train(), s.validation(), s.test(), s.unseen()))
        .isInstanceOf(PalException.class).hasMessageContaining("split.seenUsers");
    assertThatThrownBy(() -> new SplitDataset(s.data(), s.seenUsers(), s.unseenUsers(), new int[0], s.validation(), s.test(), s.unseen()))
        .hasMessageContaining("split.train");
    assertThat(s.rowIndex(new int[] {4, 1})).containsExactly(-1, 1, -1, -1, 0, -1);
    assertThat(s.ids(new int[] {5, 0})).containsExactly("u5", "u0");
    assertThat(s.byUser(new int[] {25, 3, 21, 0}).keySet()).containsExactly(2, 0);
    assertThat(s.byUser(new int[] {25, 3, 21, 0}).get(2)).containsExactly(25, 21);
    // byUsers: the given users held out, the others' pairs split by the shares
    boolean[] unseen = {false, true, false, false, false, true};
    SplitDataset b = Splits.byUsers(s.data(), unseen, 0.2, 0.3, 8);
    assertThat(b.unseenUsers()).containsExactly(1, 5);
    assertThat(b.seenUsers()).containsExactly(0, 2, 3, 4);
    assertThat(b.validation()).hasSize(4 * 2);
    assertThat(b.test()).hasSize(4 * 3);
    assertThat(b.train()).hasSize(4 * 5).isSorted();
    assertThat(b.unseen()).containsExactly(java.util.stream.IntStream.concat(java.util.stream.IntStream.range(10, 20), java.util.stream.IntStream.range(50, 60)).toArray());
    assertThat(Splits.byUsers(s.data(), unseen, 0.2, 0.3, 9).validation()).as("the seed shuffles").isNotEqualTo(b.validation());
    assertThatThrownBy(() -> Splits.byUsers(s.data(), unseen, -0.1, 0.3, 8)).hasMessageContaining("validationShare = -0.1");
    assertThatThrownBy(() -> Splits.byUsers(s.data(), unseen, 0.1, 1.0, 8)).hasMessageContaining("testShare = 1.0");
    assertThatThrownBy(() -> Splits.bySeed(s.data(), 0.1, 0.5, 0.6, 0)).hasMessageContaining("validationShare + testShare");
    assertThatThrownBy(() -> Splits.bySeed(s.data(), 0.1, 0.5, 0.5, 0)).hasMessageContaining("validationShare + testShare");
    assertThat(Splits.bySeed(s.data(), 0.0, 0.2, 0.2, 0).unseenUsers()).isEmpty();
  }

  /** A float32 .npy with whatever values, non-finite ones included (PAL's own writer refuses those). */
  static void writeUnchecked(java.nio.file.Path file, int rows, int cols, float[] v) throws java.io.IOException {
    byte[] b = Npy.encode(rows, cols, "<f4", i -> 0);
    java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int off = b.length - 4 * v.length;
    for (int i = 0; i < v.length; i++) bb.putFloat(off + 4 * i, v[i]);
    java.nio.file.Files.write(file, b);
  }
}
