package org.pal.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.pal.core.PalException;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.data.Pairs;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;
import org.pal.core.data.Splits;
import org.pal.core.data.Table;
import org.pal.core.spi.DatasetSource;
import org.pal.core.spi.Embedder;
import org.pal.core.spi.ImageEmbedder;

/**
 * Pick-a-Pic (Sections 4.2.2, 4.3.2, Appendix B) from the user's local parquet files (columns
 * {@code user_id, ranking_id, caption, jpg_0, jpg_1, label_0, label_1}, as the public release):
 * ties dropped, comparisons whose ranking id is on an exclusion list (the no-leakage split's
 * {@code v2_leakage_ranking_ids.txt}) dropped, users with fewer than {@code minComparisons} dropped.
 * The prompt is the caption (CLIP text tower), the items the two images (CLIP image tower).
 *
 * <p>{@code filter.beta > 0} builds Pick-a-Filter: users sorted by comparisons are split into two
 * equal groups; for a share beta of each user's comparisons a filter is applied, half of the time a
 * filter of the user's group's colour to the winning image (group 1 blue, group 2 red), half of the
 * time the other colour to the losing image. Labels are the users' own; the colour becomes a
 * group-dependent signal. Precomputed CLIP embeddings (e.g. the authors' released ones) go through
 * the generic record format with {@code npy:} references instead.
 */
public final class PickAPicDataset implements DatasetSource {
  public record Spec(List<String> files, JsonNode encoder, Integer minComparisons, String excludeRankingIds, Double beta,
                     Double unseenShare, Double validationShare, Double testShare, Integer seenUsers) {
    public Spec {
      if (files == null || files.isEmpty()) throw PalException.badInput("files", "[]", "give the Pick-a-Pic parquet files");
      if (encoder == null) throw PalException.badInput("encoder", "null", "Pick-a-Pic needs an image encoder: {\"type\": \"onnx-clip\", \"model\": DIR}");
      if (minComparisons == null) minComparisons = 50;
      if (beta == null) beta = 0.0;
      if (!(beta >= 0 && beta <= 1)) throw PalException.badInput("beta", beta, "the filtered share must be in [0, 1]");
      if (unseenShare == null) unseenShare = 0.2;
      if (validationShare == null) validationShare = 0.1;
      if (testShare == null) testShare = 0.2;
      if (seenUsers != null && seenUsers < 1) throw PalException.badInput("seenUsers", seenUsers, "must be at least 1 (or omit it for a seeded share)");
    }
  }

  private record Row(String user, String caption, byte[] win, byte[] lose, long rankingId) {}

  private final Spec spec;
  private final ComponentRegistry registry;
  private PreferenceDataset data;
  private Map<String, Integer> group = new LinkedHashMap<>();

  public PickAPicDataset(Spec spec, ComponentRegistry registry) {
    this.spec = spec;
    this.registry = registry;
  }

  /** 1 or 2 for Pick-a-Filter users (0 when no filter is applied). */
  public int groupOf(String user) {
    data();
    return group.getOrDefault(user, 0);
  }

  /**
   * With {@code seenUsers} = N the N users with the most comparisons are seen, the rest unseen (the
   * paper's "first 50 users"); otherwise a seeded share of users is unseen.
   */
  @Override
  public com.fasterxml.jackson.databind.JsonNode encoder() {
    return spec.encoder();
  }

  @Override
  public SplitDataset load(long seed) {
    PreferenceDataset d = data();
    if (spec.seenUsers() == null) return Splits.bySeed(d, spec.unseenShare(), spec.validationShare(), spec.testShare(), seed);
    boolean[] unseen = new boolean[d.userIds().size()];
    for (int i = spec.seenUsers(); i < unseen.length; i++) unseen[i] = true; // users are sorted by comparisons
    return Splits.byUsers(d, unseen, spec.validationShare(), spec.testShare(), seed);
  }

  public synchronized PreferenceDataset data() {
    if (data == null) data = build();
    return data;
  }

  private PreferenceDataset build() {
    Set<Long> excluded = new HashSet<>();
    if (spec.excludeRankingIds() != null) {
      try {
        for (String l : Files.readAllLines(Path.of(spec.excludeRankingIds()))) if (!l.isBlank() && !l.startsWith("#")) excluded.add(Long.parseLong(l.trim()));
      } catch (IOException | NumberFormatException e) {
        throw PalException.badInput("excludeRankingIds", spec.excludeRankingIds(), "must be a readable file of ranking ids, one per line");
      }
    }
    List<Row> rows = new ArrayList<>();
    for (String f : spec.files()) {
      Path file = Path.of(f);
      TableFile.scanRaw(file, List.of("user_id", "caption", "jpg_0", "jpg_1", "label_0", "label_1", "ranking_id"), (r, v) -> {
        String where = file.getFileName() + " row " + r;
        if (v[0] == null || v[1] == null || v[2] == null || v[3] == null || v[4] == null || v[5] == null) {
          throw PalException.userInput(where + ": needs user_id, caption, jpg_0, jpg_1, label_0, label_1");
        }
        double l0 = ((Number) v[4]).doubleValue(), l1 = ((Number) v[5]).doubleValue();
        if (l0 == l1) return; // a tie: no decisive preference
        long rid = v[6] == null ? -1 : ((Number) v[6]).longValue();
        if (excluded.contains(rid)) return;
        boolean first = l0 > l1;
        rows.add(new Row(String.valueOf(v[0]), String.valueOf(v[1]), (byte[]) (first ? v[2] : v[3]), (byte[]) (first ? v[3] : v[2]), rid));
      });
    }
    Map<String, Integer> count = new LinkedHashMap<>();
    for (Row r : rows) count.merge(r.user(), 1, Integer::sum);
    List<String> users = count.keySet().stream().filter(u -> count.get(u) >= spec.minComparisons())
        .sorted(Comparator.comparing((String u) -> -count.get(u)).thenComparing(u -> u)).toList();
    if (users.isEmpty()) throw PalException.userInput("no Pick-a-Pic user has " + spec.minComparisons() + " or more decisive comparisons; lower minComparisons");
    if (spec.beta() > 0) for (int i = 0; i < users.size(); i++) group.put(users.get(i), i < users.size() / 2 ? 1 : 2);
    Map<String, Integer> uidx = new LinkedHashMap<>();
    for (String u : users) uidx.put(u, uidx.size());
    Path tmp;
    try {
      tmp = Files.createTempDirectory("pal-pickapic");
    } catch (IOException e) {
      throw PalException.environment("cannot create a temporary folder for decoded images", e);
    }
    try {
      Map<String, Integer> images = new LinkedHashMap<>(), captions = new LinkedHashMap<>();
      List<Path> imageFiles = new ArrayList<>();
      List<int[]> pairs = new ArrayList<>();
      Random rnd = new Random(7);
      int n = 0;
      for (Row r : rows) {
        Integer u = uidx.get(r.user());
        if (u == null) continue;
        String winFilter = "none", loseFilter = "none";
        if (spec.beta() > 0 && rnd.nextDouble() < spec.beta()) {
          boolean onWinner = rnd.nextBoolean();
          String own = group.get(r.user()) == 1 ? "blue" : "red", other = own.equals("blue") ? "red" : "blue";
          if (onWinner) winFilter = own; else loseFilter = other;
        }
        int w = image(r.win(), winFilter, images, imageFiles, tmp, r), l = image(r.lose(), loseFilter, images, imageFiles, tmp, r);
        int c = captions.computeIfAbsent(r.caption(), k -> captions.size());
        boolean winLeft = rnd.nextBoolean();
        pairs.add(new int[] {u, c, winLeft ? w : l, winLeft ? l : w, winLeft ? 1 : -1});
        n++;
      }
      try (Embedder e = registry.embedder(spec.encoder())) {
        if (!(e instanceof ImageEmbedder ie)) throw PalException.badInput("encoder.type", spec.encoder().path("type"), "Pick-a-Pic needs onnx-clip");
        Table items = Table.of("items", ie.embedImages(imageFiles));
        Table prompts = Table.of("prompts", e.embed(new ArrayList<>(captions.keySet())));
        int[] user = new int[n], prompt = new int[n], left = new int[n], right = new int[n];
        byte[] label = new byte[n];
        for (int i = 0; i < n; i++) {
          int[] p = pairs.get(i);
          user[i] = p[0]; prompt[i] = p[1]; left[i] = p[2]; right[i] = p[3]; label[i] = (byte) p[4];
        }
        return new PreferenceDataset(items, prompts, users, new Pairs(user, prompt, left, right, label));
      }
    } finally {
      try {
        org.pal.core.archive.AtomicFiles.deleteTree(tmp);
      } catch (IOException ignored) {
        // temporary images only
      }
    }
  }

  private static int image(byte[] bytes, String filter, Map<String, Integer> index, List<Path> files, Path tmp, Row r) {
    String key = java.util.HexFormat.of().formatHex(sha(bytes)) + ":" + filter;
    Integer id = index.get(key);
    if (id != null) return id;
    BufferedImage img;
    try {
      img = ImageIO.read(new ByteArrayInputStream(bytes));
    } catch (IOException e) {
      img = null;
    }
    if (img == null) throw PalException.badInput("ranking " + r.rankingId() + " image", bytes.length + " bytes", "does not decode as an image; drop that comparison");
    if (!filter.equals("none")) img = tint(img, filter.equals("blue"));
    Path f = tmp.resolve(index.size() + ".png");
    try {
      ImageIO.write(img, "png", f.toFile());
    } catch (IOException e) {
      throw PalException.environment("cannot write a decoded image to " + f, e);
    }
    index.put(key, index.size());
    files.add(f);
    return index.size() - 1;
  }

  /** A colour filter: cold (blue) or warm (red) tint. */
  static BufferedImage tint(BufferedImage in, boolean blue) {
    BufferedImage out = new BufferedImage(in.getWidth(), in.getHeight(), BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < in.getHeight(); y++) for (int x = 0; x < in.getWidth(); x++) {
      int p = in.getRGB(x, y), r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
      if (blue) { r = (int) (r * 0.6); g = (int) (g * 0.8); b = Math.min(255, b + 60); }
      else { r = Math.min(255, r + 60); g = (int) (g * 0.8); b = (int) (b * 0.6); }
      out.setRGB(x, y, (r << 16) | (g << 8) | b);
    }
    return out;
  }

  private static byte[] sha(byte[] b) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(b);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw PalException.environment("SHA-256 unavailable", e);
    }
  }

}
