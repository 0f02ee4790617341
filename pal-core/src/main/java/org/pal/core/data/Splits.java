package org.pal.core.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.pal.core.PalException;

/**
 * Deterministic splits of a dataset that comes without one: a seeded share of users held out as
 * unseen, and each seen user's pairs shuffled (seeded) into train, validation and test, so that
 * every seen user has pairs in each split when they have enough.
 */
public final class Splits {
  private Splits() {}

  public static SplitDataset bySeed(PreferenceDataset data, double unseenShare, double validationShare, double testShare, long seed) {
    check("unseenShare", unseenShare);
    check("validationShare", validationShare);
    check("testShare", testShare);
    if (validationShare + testShare >= 1) {
      throw PalException.badInput("validationShare + testShare", validationShare + testShare, "must leave pairs to train on (< 1)");
    }
    int nUsers = data.userIds().size();
    Integer[] order = new Integer[nUsers];
    for (int i = 0; i < nUsers; i++) order[i] = i;
    Random r = new Random(seed);
    for (int i = nUsers - 1; i > 0; i--) { int j = r.nextInt(i + 1); Integer t = order[i]; order[i] = order[j]; order[j] = t; }
    int nUnseen = (int) Math.round(nUsers * unseenShare);
    boolean[] unseen = new boolean[nUsers];
    for (int i = 0; i < nUnseen; i++) unseen[order[i]] = true;
    return byUsers(data, unseen, validationShare, testShare, seed);
  }

  /** The given users held out as unseen; every other user's pairs split (seeded) by the shares. */
  public static SplitDataset byUsers(PreferenceDataset data, boolean[] unseen, double validationShare, double testShare, long seed) {
    check("validationShare", validationShare);
    check("testShare", testShare);
    int nUsers = data.userIds().size();
    List<List<Integer>> byUser = new ArrayList<>();
    for (int u = 0; u < nUsers; u++) byUser.add(new ArrayList<>());
    for (int p = 0; p < data.pairs().size(); p++) byUser.get(data.pairs().user[p]).add(p);
    List<Integer> tr = new ArrayList<>(), va = new ArrayList<>(), te = new ArrayList<>(), un = new ArrayList<>();
    List<Integer> seenUsers = new ArrayList<>(), unseenUsers = new ArrayList<>();
    for (int u = 0; u < nUsers; u++) {
      List<Integer> ps = byUser.get(u);
      if (unseen[u]) {
        unseenUsers.add(u);
        un.addAll(ps); // data order: few-shot enrolment takes each unseen user's first pairs
        continue;
      }
      seenUsers.add(u);
      List<Integer> shuffled = new ArrayList<>(ps);
      java.util.Collections.shuffle(shuffled, new Random(seed * 31 + u));
      int nVal = (int) Math.round(ps.size() * validationShare), nTest = (int) Math.round(ps.size() * testShare);
      for (int i = 0; i < shuffled.size(); i++) (i < nVal ? va : i < nVal + nTest ? te : tr).add(shuffled.get(i));
    }
    int[] trA = sorted(tr), vaA = sorted(va), teA = sorted(te);
    return new SplitDataset(data, ints(seenUsers), ints(unseenUsers), trA, vaA, teA, ints(un));
  }

  private static void check(String name, double v) {
    if (!(v >= 0 && v < 1)) throw PalException.badInput(name, v, "must be in [0, 1)");
  }

  private static int[] sorted(List<Integer> l) {
    int[] a = ints(l);
    Arrays.sort(a);
    return a;
  }

  private static int[] ints(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }
}
