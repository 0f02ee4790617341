package org.pal.core.model;

import org.pal.core.PalException;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Tape;

/** One mini-batch gathered from the tables into pooled matrices; user rows index a logit table. */
public record Batch(Mat left, Mat right, Mat prompts, Mat labels, int[] userRows) {
  public int size() {
    return userRows.length;
  }

  /**
   * Gathers pairs {@code idx[from..to)} of {@code data}; {@code userRow} maps dataset user index to
   * logit-table row.
   */
  public static Batch gather(Tape tape, PreferenceDataset data, int[] idx, int from, int to, int[] userRow) {
    int n = to - from, di = data.items().dim();
    Mat left = tape.alloc(n, di), right = tape.alloc(n, di), labels = tape.alloc(n, 1);
    Mat prompts = data.prompts() == null ? null : tape.alloc(n, data.prompts().dim());
    int[] rows = new int[n];
    float[] items = data.items().data();
    for (int i = 0; i < n; i++) {
      int p = idx[from + i];
      left.putRow(i, 0, items, data.pairs().left[p], di);
      right.putRow(i, 0, items, data.pairs().right[p], di);
      if (prompts != null) prompts.putRow(i, 0, data.prompts().data(), data.pairs().prompt[p], data.prompts().dim());
      labels.set(i, data.pairs().label[p]);
      int u = data.pairs().user[p];
      rows[i] = userRow == null ? u : userRow[u];
      if (rows[i] < 0) throw PalException.internal("pair " + p + " belongs to user " + data.userIds().get(u) + " who has no row in this table");
    }
    return new Batch(left, right, prompts, labels, rows);
  }
}
