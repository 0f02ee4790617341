package org.pal.core.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.pal.core.data.Pairs;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;
import org.pal.core.data.Table;

/**
 * Small random preference data with a learnable signal: two user groups prefer the item closer to
 * one of two hidden directions (rotated by the prompt when there are prompts). For tests only.
 */
public final class TinyData {
  private TinyData() {}

  public static SplitDataset make(int seenUsers, int unseenUsers, int pairsPerUser, int itemDim, int promptDim, long seed) {
    Random r = new Random(seed);
    int nItems = 60, nPrompts = promptDim > 0 ? 12 : 0;
    float[] items = gaussian(r, nItems * itemDim);
    float[] prompts = promptDim > 0 ? gaussian(r, nPrompts * promptDim) : null;
    double[][] dirs = new double[2][itemDim];
    for (double[] d : dirs) for (int j = 0; j < itemDim; j++) d[j] = r.nextGaussian();
    int nUsers = seenUsers + unseenUsers, total = nUsers * pairsPerUser;
    int[] user = new int[total], prompt = new int[total], left = new int[total], right = new int[total];
    byte[] label = new byte[total];
    List<Integer> tr = new ArrayList<>(), va = new ArrayList<>(), te = new ArrayList<>(), un = new ArrayList<>();
    for (int u = 0, p = 0; u < nUsers; u++) {
      double[] dir = dirs[u % 2];
      for (int j = 0; j < pairsPerUser; j++, p++) {
        user[p] = u;
        prompt[p] = promptDim > 0 ? r.nextInt(nPrompts) : -1;
        left[p] = r.nextInt(nItems);
        do { right[p] = r.nextInt(nItems); } while (right[p] == left[p]);
        double sign = promptDim > 0 && prompts[prompt[p] * promptDim] < 0 ? -1 : 1;
        double sl = 0, sr = 0;
        for (int c = 0; c < itemDim; c++) { sl += items[left[p] * itemDim + c] * dir[c]; sr += items[right[p] * itemDim + c] * dir[c]; }
        label[p] = (byte) (sign * (sl - sr) > 0 ? 1 : -1);
        if (u >= seenUsers) un.add(p);
        else if (j < pairsPerUser * 6 / 10) tr.add(p);
        else if (j < pairsPerUser * 8 / 10) va.add(p);
        else te.add(p);
      }
    }
    List<String> ids = new ArrayList<>();
    for (int u = 0; u < nUsers; u++) ids.add("u" + u);
    PreferenceDataset data = new PreferenceDataset(new Table("items", items, nItems, itemDim),
        promptDim > 0 ? new Table("prompts", prompts, nPrompts, promptDim) : null, ids, new Pairs(user, prompt, left, right, label));
    int[] seen = new int[seenUsers], unseen = new int[unseenUsers];
    for (int i = 0; i < seenUsers; i++) seen[i] = i;
    for (int i = 0; i < unseenUsers; i++) unseen[i] = seenUsers + i;
    return new SplitDataset(data, seen, unseen, ints(tr), ints(va), ints(te), ints(un));
  }

  private static float[] gaussian(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
    return a;
  }

  private static int[] ints(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }
}
