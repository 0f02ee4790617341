package org.pal.core.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pal.core.PalException;

/**
 * A dataset with its splits: seen users (whose rows the model learns) and unseen users (held out
 * entirely); seen users' pairs split into train / validation / test; unseen users' pairs in data
 * order (few-shot adaptation uses each unseen user's first pairs and tests on the rest).
 */
public record SplitDataset(PreferenceDataset data, int[] seenUsers, int[] unseenUsers,
                           int[] train, int[] validation, int[] test, int[] unseen) {
  public SplitDataset {
    if (seenUsers.length == 0) throw PalException.badInput("split.seenUsers", "[]", "need at least one seen user to train on");
    if (train.length == 0) throw PalException.badInput("split.train", "[] (0 pairs)", "the training split is empty; give more pairs per seen user");
    if (validation.length == 0) throw PalException.badInput("split.validation", "[] (0 pairs)", "the validation split is empty; early stopping and checkpoint selection need it");
  }

  /** Dataset user index to row in the model's user table (-1 for users outside {@code users}). */
  public int[] rowIndex(int[] users) {
    int[] row = new int[data.userIds().size()];
    java.util.Arrays.fill(row, -1);
    for (int i = 0; i < users.length; i++) row[users[i]] = i;
    return row;
  }

  public List<String> ids(int[] users) {
    List<String> out = new ArrayList<>(users.length);
    for (int u : users) out.add(data.userIds().get(u));
    return out;
  }

  /** The given pair indices grouped by user, in data order within each user. */
  public Map<Integer, List<Integer>> byUser(int[] pairIdx) {
    Map<Integer, List<Integer>> m = new LinkedHashMap<>();
    for (int p : pairIdx) m.computeIfAbsent(data.pairs().user[p], k -> new ArrayList<>()).add(p);
    return m;
  }
}
