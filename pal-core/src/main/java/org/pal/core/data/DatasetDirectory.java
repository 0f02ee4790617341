package org.pal.core.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.pal.core.PalException;
import org.pal.core.archive.AtomicFiles;
import org.pal.core.archive.Npy;
import org.pal.core.config.Json;

/**
 * The engine's own on-disk dataset: {@code dataset.json} (user ids, which are seen), {@code items.npy},
 * optional {@code prompts.npy}, {@code pairs.npy} (int32 rows: user, prompt, left, right, label) and
 * {@code pair_split.npy} (0 train, 1 validation, 2 test, 3 unseen user). All numpy-readable.
 */
public final class DatasetDirectory {
  public static final String MANIFEST = "dataset.json";
  private static final int TRAIN = 0, VALIDATION = 1, TEST = 2, UNSEEN = 3;

  private DatasetDirectory() {}

  public static void write(SplitDataset s, Path dir) {
    write(s, dir, null);
  }

  /** @param encoder the embedder config that made the tables from raw values (recorded for models trained here), or null */
  public static void write(SplitDataset s, Path dir, JsonNode encoder) {
    PreferenceDataset d = s.data();
    AtomicFiles.writeDirectory(dir, tmp -> {
      ObjectNode m = Json.mapper().createObjectNode();
      m.put("formatVersion", 1);
      if (encoder != null) m.set("encoder", encoder);
      ArrayNode users = m.putArray("users");
      boolean[] seen = new boolean[d.userIds().size()];
      for (int u : s.seenUsers()) seen[u] = true;
      for (int u = 0; u < seen.length; u++) users.addObject().put("id", d.userIds().get(u)).put("seen", seen[u]);
      Npy.writeFloats(tmp.resolve("items.npy"), d.items().rows(), d.items().dim(), d.items().data());
      if (d.prompts() != null) Npy.writeFloats(tmp.resolve("prompts.npy"), d.prompts().rows(), d.prompts().dim(), d.prompts().data());
      Pairs p = d.pairs();
      int n = p.size();
      int[] rows = new int[n * 5];
      for (int i = 0; i < n; i++) {
        rows[5 * i] = p.user[i]; rows[5 * i + 1] = p.prompt[i]; rows[5 * i + 2] = p.left[i]; rows[5 * i + 3] = p.right[i]; rows[5 * i + 4] = p.label[i];
      }
      Npy.writeInts(tmp.resolve("pairs.npy"), n, 5, rows);
      int[] split = new int[n];
      java.util.Arrays.fill(split, -1);
      for (int i : s.train()) split[i] = TRAIN;
      for (int i : s.validation()) split[i] = VALIDATION;
      for (int i : s.test()) split[i] = TEST;
      for (int i : s.unseen()) split[i] = UNSEEN;
      Npy.writeInts(tmp.resolve("pair_split.npy"), n, 1, split);
      Files.writeString(tmp.resolve(MANIFEST), Json.write(m));
    });
  }

  /** The embedder config recorded by {@link #write(SplitDataset, Path, JsonNode)}, or null. */
  public static JsonNode encoder(Path dir) {
    Path mf = dir.resolve(MANIFEST);
    if (!Files.exists(mf)) return null;
    JsonNode e = Json.readTree(mf).get("encoder");
    return e == null || e.isNull() ? null : e;
  }

  public static SplitDataset read(Path dir) {
    if (!Files.isDirectory(dir)) throw PalException.badInput("data", dir, "is not a directory; write one with 'pal generate synthetic --out DIR'");
    Path mf = dir.resolve(MANIFEST);
    if (!Files.exists(mf)) throw PalException.badInput("data", dir, "has no " + MANIFEST + "; it is not a PAL dataset directory");
    JsonNode m = Json.readTree(mf);
    List<String> ids = new ArrayList<>();
    List<Integer> seen = new ArrayList<>(), unseen = new ArrayList<>();
    JsonNode users = m.get("users");
    if (users == null || !users.isArray()) throw PalException.badInput(mf + " users", users, "expected an array of {id, seen}");
    java.util.Set<String> distinct = new java.util.HashSet<>();
    for (JsonNode u : users) {
      String where = mf + " users[" + ids.size() + "]";
      if (!u.isObject()) throw PalException.userInput(where + ": expected an object {id, seen}");
      String id = org.pal.core.config.JsonFields.id(u, "id", where);
      // two users with one name would make every per-user result ambiguous
      if (!distinct.add(id)) throw PalException.userInput(where + ".id: the same id as an earlier user; user ids must be unique");
      JsonNode seenNode = u.get("seen");
      if (seenNode != null && !seenNode.isBoolean()) throw PalException.userInput(where + ".seen: must be true or false");
      (seenNode == null || seenNode.asBoolean() ? seen : unseen).add(ids.size());
      ids.add(id);
    }
    Npy.FloatMatrix items = Npy.readFloats(dir.resolve("items.npy"));
    Table prompts = null;
    if (Files.exists(dir.resolve("prompts.npy"))) {
      Npy.FloatMatrix pr = Npy.readFloats(dir.resolve("prompts.npy"));
      prompts = new Table("prompts", pr.values(), pr.rows(), pr.cols()).requireFinite();
    }
    Npy.IntMatrix pairs = Npy.readInts(dir.resolve("pairs.npy"));
    if (pairs.cols() != 5) throw PalException.badInput(dir.resolve("pairs.npy") + " columns", pairs.cols(), "expected 5: user, prompt, left, right, label");
    int n = pairs.rows();
    int[] v = pairs.values();
    int[] user = new int[n], prompt = new int[n], left = new int[n], right = new int[n];
    byte[] label = new byte[n];
    for (int i = 0; i < n; i++) {
      user[i] = v[5 * i]; prompt[i] = v[5 * i + 1]; left[i] = v[5 * i + 2]; right[i] = v[5 * i + 3];
      int y = v[5 * i + 4];
      if (y != 1 && y != -1) throw PalException.badInput("pairs[" + i + "].label", y, "must be +1 (left preferred) or -1 (right preferred)");
      label[i] = (byte) y;
    }
    PreferenceDataset d = new PreferenceDataset(new Table("items", items.values(), items.rows(), items.cols()).requireFinite(),
        prompts, ids, new Pairs(user, prompt, left, right, label));
    int[] split = Npy.readInts(dir.resolve("pair_split.npy")).values();
    if (split.length != n) throw PalException.badInput(dir.resolve("pair_split.npy") + " rows", split.length, "expected one per pair (" + n + ")");
    List<Integer> tr = new ArrayList<>(), va = new ArrayList<>(), te = new ArrayList<>(), un = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      switch (split[i]) {
        case TRAIN -> tr.add(i);
        case VALIDATION -> va.add(i);
        case TEST -> te.add(i);
        case UNSEEN -> un.add(i);
        default -> throw PalException.badInput("pair_split.npy[" + i + "]", split[i], "0 train, 1 validation, 2 test, 3 unseen");
      }
    }
    return new SplitDataset(d, ints(seen), ints(unseen), ints(tr), ints(va), ints(te), ints(un));
  }

  private static int[] ints(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }
}
