package org.pal.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.pal.core.PalException;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;
import org.pal.core.data.Pairs;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;
import org.pal.core.data.Table;
import org.pal.core.spi.DatasetSource;
import org.pal.core.spi.Embedder;

/**
 * Reddit TL;DR comparisons with worker ids (Sections 4.3.1, C.3), from OpenAI's comparison batch
 * files. The prompt is the post, the items the two summaries.
 *
 * <p>{@code semi-synthetic}: the reference implementation's variant. Only pairs of supervised
 * policies (both policy names contain "sup", neither "ppo"); the choice is replaced by a rule:
 * minority workers prefer the shorter summary, the others the longer. Workers are ranked by their
 * number of comparisons; the top {@code seenWorkers} are seen users, the rest unseen; in each list,
 * ranks 4 to 6 of every ten (1-based) are the minority, as the reference does for its seen users.
 *
 * <p>{@code real}: the workers' own choices on every pair; seen users are the reference
 * implementation's seen workers ({@code seenList}) present in the files, everyone else is unseen.
 * With {@code downloadFrom} (e.g. {@link Downloads#TLDR}) missing batch files are fetched into {@code dir}.
 */
public final class TldrDataset implements DatasetSource {
  public record Spec(String dir, List<String> files, String variant, Integer seenWorkers, String seenList,
                     Double validationShare, Double testShare, JsonNode encoder, String downloadFrom) {
    public Spec {
      if (dir == null) throw PalException.badInput("dir", "null", "give the folder with the TL;DR comparison batch files");
      if (files == null || files.isEmpty()) files = List.of("batch13.json", "batch18.json");
      if (variant == null) variant = "semi-synthetic";
      if (!variant.equals("semi-synthetic") && !variant.equals("real")) throw PalException.badInput("variant", "\"" + variant + "\"", "valid variants: [semi-synthetic, real]");
      if (seenWorkers == null) seenWorkers = 6;
      if (seenList == null) seenList = "pal-worker-ids/seen_workers.txt";
      if (validationShare == null) validationShare = 0.15;
      if (testShare == null) testShare = 0.25;
      if (encoder == null) encoder = PalConfig.typed("onnx-sentence");
    }
  }

  private record Rec(String worker, String post, String a, String b, int choice, String pa, String pb) {}

  private final Spec spec;
  private final ComponentRegistry registry;
  private PreferenceDataset data;
  private List<Integer> seenUsers;
  private List<Integer> unseenUsers;

  public TldrDataset(Spec spec, ComponentRegistry registry) {
    this.spec = spec;
    this.registry = registry;
  }

  private synchronized void prepare() {
    if (data != null) return;
    List<Rec> recs = new ArrayList<>();
    for (String f : spec.files()) {
      Path p = Downloads.ensure(Path.of(spec.dir()).resolve(f), spec.downloadFrom(), f);
      List<String> lines;
      try {
        lines = Files.readAllLines(p);
      } catch (IOException e) {
        throw PalException.badInput("file", p, "cannot be read (" + e.getMessage() + ")");
      }
      for (int ln = 0; ln < lines.size(); ln++) {
        if (lines.get(ln).isBlank()) continue;
        try {
          JsonNode r = Json.mapper().readTree(lines.get(ln));
          JsonNode s = r.get("summaries");
          recs.add(new Rec(r.get("worker").asText(), r.get("info").get("post").asText(), s.get(0).get("text").asText(), s.get(1).get("text").asText(),
              r.get("choice").asInt(), s.get(0).get("policy").asText(), s.get(1).get("policy").asText()));
        } catch (IOException | RuntimeException e) {
          throw PalException.userInput(p + " line " + (ln + 1) + ": not a comparison record (needs info.post, summaries[2].text/policy, choice, worker)");
        }
      }
    }
    boolean synthetic = spec.variant().equals("semi-synthetic");
    if (synthetic) recs.removeIf(r -> !(r.pa().contains("sup") && r.pb().contains("sup") && !r.pa().contains("ppo") && !r.pb().contains("ppo")));
    if (recs.isEmpty()) throw PalException.userInput("no TL;DR comparisons left in " + spec.files() + " for variant " + spec.variant());
    Map<String, Integer> count = new LinkedHashMap<>();
    for (Rec r : recs) count.merge(r.worker(), 1, Integer::sum);
    List<String> ranked = new ArrayList<>(count.keySet());
    ranked.sort(Comparator.comparing((String w) -> -count.get(w)).thenComparing(w -> w));
    List<String> seenIds, unseenIds;
    if (synthetic) {
      int s = Math.min(spec.seenWorkers(), ranked.size() - 1);
      seenIds = ranked.subList(0, s);
      unseenIds = ranked.subList(s, ranked.size());
    } else {
      List<String> pal;
      try {
        pal = Files.readAllLines(Path.of(spec.dir()).resolve(spec.seenList())).stream().map(String::trim).filter(x -> !x.isEmpty()).toList();
      } catch (IOException e) {
        throw PalException.badInput("seenList", spec.seenList(), "cannot be read in " + spec.dir());
      }
      seenIds = ranked.stream().filter(pal::contains).toList();
      unseenIds = ranked.stream().filter(w -> !pal.contains(w)).toList();
    }
    List<String> ids = new ArrayList<>(seenIds);
    ids.addAll(unseenIds);
    Map<String, Integer> uidx = new LinkedHashMap<>();
    for (String w : ids) uidx.put(w, uidx.size());
    Map<String, Boolean> minority = new LinkedHashMap<>();
    for (List<String> list : List.of(seenIds, unseenIds)) for (int i = 0; i < list.size(); i++) minority.put(list.get(i), i % 10 >= 3 && i % 10 <= 5);
    Map<String, Integer> prompts = new LinkedHashMap<>(), items = new LinkedHashMap<>();
    int n = recs.size();
    int[] user = new int[n], prompt = new int[n], left = new int[n], right = new int[n];
    byte[] label = new byte[n];
    for (int i = 0; i < n; i++) {
      Rec r = recs.get(i);
      user[i] = uidx.get(r.worker());
      prompt[i] = prompts.computeIfAbsent(r.post(), k -> prompts.size());
      left[i] = items.computeIfAbsent(r.a(), k -> items.size());
      right[i] = items.computeIfAbsent(r.b(), k -> items.size());
      boolean leftPreferred;
      if (synthetic) {
        boolean leftLonger = r.a().length() > r.b().length();
        leftPreferred = minority.get(r.worker()) != leftLonger;
      } else {
        leftPreferred = r.choice() == 0;
      }
      label[i] = (byte) (leftPreferred ? 1 : -1);
    }
    try (Embedder e = registry.embedder(spec.encoder())) {
      data = new PreferenceDataset(Table.of("items", e.embed(new ArrayList<>(items.keySet()))), Table.of("prompts", e.embed(new ArrayList<>(prompts.keySet()))),
          ids, new Pairs(user, prompt, left, right, label));
    }
    seenUsers = new ArrayList<>();
    unseenUsers = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) (i < seenIds.size() ? seenUsers : unseenUsers).add(i);
  }


  @Override
  public com.fasterxml.jackson.databind.JsonNode encoder() {
    return spec.encoder();
  }

  @Override
  public SplitDataset load(long seed) {
    prepare();
    Map<Integer, List<Integer>> byUser = new LinkedHashMap<>();
    for (int p = 0; p < data.pairs().size(); p++) byUser.computeIfAbsent(data.pairs().user[p], k -> new ArrayList<>()).add(p);
    List<Integer> tr = new ArrayList<>(), va = new ArrayList<>(), te = new ArrayList<>(), un = new ArrayList<>();
    for (int u : seenUsers) {
      List<Integer> ps = new ArrayList<>(byUser.get(u));
      java.util.Collections.shuffle(ps, new Random(seed * 1009 + u));
      int nVal = Math.max(1, (int) Math.round(ps.size() * spec.validationShare())), nTest = Math.max(1, (int) Math.round(ps.size() * spec.testShare()));
      for (int i = 0; i < ps.size(); i++) (i < nVal ? va : i < nVal + nTest ? te : tr).add(ps.get(i));
    }
    for (int u : unseenUsers) un.addAll(byUser.get(u));
    java.util.Collections.sort(tr);
    return new SplitDataset(data, seenUsers.stream().mapToInt(Integer::intValue).toArray(), unseenUsers.stream().mapToInt(Integer::intValue).toArray(),
        tr.stream().mapToInt(Integer::intValue).toArray(), va.stream().mapToInt(Integer::intValue).toArray(),
        te.stream().mapToInt(Integer::intValue).toArray(), un.stream().mapToInt(Integer::intValue).toArray());
  }
}
