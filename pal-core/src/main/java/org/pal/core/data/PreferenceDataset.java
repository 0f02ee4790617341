package org.pal.core.data;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.pal.core.PalException;

/**
 * The engine's data model: embedding tables plus index arrays (never one vector copy per comparison)
 * and the user id of each user index.
 */
public record PreferenceDataset(Table items, Table prompts, List<String> userIds, Pairs pairs) {
  public PreferenceDataset {
    int n = pairs.size();
    for (int i = 0; i < n; i++) {
      check("user", i, pairs.user[i], userIds.size());
      check("left", i, pairs.left[i], items.rows());
      check("right", i, pairs.right[i], items.rows());
      if (prompts != null) check("prompt", i, pairs.prompt[i], prompts.rows());
      else if (pairs.prompt[i] != -1) throw PalException.badInput("pairs[" + i + "].prompt", pairs.prompt[i], "the dataset has no prompt table; use -1");
      if (pairs.label[i] != 1 && pairs.label[i] != -1) throw PalException.badInput("pairs[" + i + "].label", pairs.label[i], "must be +1 (left preferred) or -1 (right preferred)");
    }
  }

  private static void check(String field, int i, int v, int bound) {
    if (v < 0 || v >= bound) throw PalException.badInput("pairs[" + i + "]." + field, v, "must index a row in 0.." + (bound - 1));
  }

  public int promptDim() {
    return prompts == null ? 0 : prompts.dim();
  }

  /** SHA-256 over tables and pairs: recorded in provenance so a model names the data it saw. */
  public String hash() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      digest(md, items);
      if (prompts != null) digest(md, prompts);
      ByteBuffer b = ByteBuffer.allocate(17);
      for (int i = 0; i < pairs.size(); i++) {
        b.clear();
        b.putInt(pairs.user[i]).putInt(pairs.prompt[i]).putInt(pairs.left[i]).putInt(pairs.right[i]).put(pairs.label[i]);
        md.update(b.array());
      }
      for (String u : userIds) md.update(u.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw PalException.environment("SHA-256 unavailable", e);
    }
  }

  private static void digest(MessageDigest md, Table t) {
    ByteBuffer b = ByteBuffer.allocate(4 * 4096);
    float[] d = t.data();
    for (int i = 0; i < d.length; ) {
      b.clear();
      int m = Math.min(4096, d.length - i);
      for (int j = 0; j < m; j++) b.putFloat(d[i + j]);
      md.update(b.array(), 0, m * 4);
      i += m;
    }
  }
}
