package org.pal.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * The heterogeneous Persona dataset of Section 4.2.1: K* personas (Anthropic persona files), N seen
 * and M unseen users per persona; each seen user answers n_p statements drawn from all the chosen
 * files, each unseen user n_unseen; a user answers "Yes" exactly when the statement is in their
 * persona's agreeing set. The prompt is the statement, the two items the answers " Yes" and " No"
 * (in random order). Seen users' queries split into train / validation / test by share; unseen
 * users' queries stay in order (few-shot enrolment uses the first ones). With {@code downloadFrom}
 * (e.g. {@link Downloads#PERSONA}) missing persona files are fetched into {@code personaDir}.
 */
public final class PersonaDataset implements DatasetSource {
  public record Spec(String personaDir, List<String> personas, Integer usersPerPersona, Integer queries,
                     Integer unseenUsersPerPersona, Integer unseenQueries, Double validationShare, Double testShare, JsonNode encoder,
                     String downloadFrom) {
    public Spec {
      if (personaDir == null) throw PalException.badInput("personaDir", "null", "give the folder with the persona .jsonl files");
      if (personas == null || personas.isEmpty()) {
        personas = List.of("interest-in-art", "interest-in-literature", "interest-in-math", "interest-in-music");
      }
      if (usersPerPersona == null) usersPerPersona = 100;
      if (queries == null) queries = 200;
      if (unseenUsersPerPersona == null) unseenUsersPerPersona = 25;
      if (unseenQueries == null) unseenQueries = 150;
      if (validationShare == null) validationShare = 0.1;
      if (testShare == null) testShare = 0.2;
      if (encoder == null) encoder = PalConfig.typed("onnx-sentence");
      if (usersPerPersona < 1) throw PalException.badInput("usersPerPersona", usersPerPersona, "must be at least 1");
      if (queries < 3) throw PalException.badInput("queries", queries, "need at least 3 per seen user (train, validation, test)");
      if (unseenUsersPerPersona < 0) throw PalException.badInput("unseenUsersPerPersona", unseenUsersPerPersona, "must be >= 0");
    }
  }

  private final Spec spec;
  private final ComponentRegistry registry;
  private List<String> statements;
  private List<boolean[]> agrees; // per statement: which personas answer yes
  private Table prompts;
  private Table items;

  public PersonaDataset(Spec spec, ComponentRegistry registry) {
    this.spec = spec;
    this.registry = registry;
  }

  private synchronized void prepare() {
    if (prompts != null) return;
    statements = new ArrayList<>();
    agrees = new ArrayList<>();
    int k = spec.personas().size();
    for (int j = 0; j < k; j++) {
      Path f = Downloads.ensure(Path.of(spec.personaDir()).resolve(spec.personas().get(j) + ".jsonl"), spec.downloadFrom(), spec.personas().get(j) + ".jsonl");
      if (!Files.exists(f)) throw PalException.badInput("persona", spec.personas().get(j), "no file " + f + "; persona names are file names without .jsonl");
      List<String> lines;
      try {
        lines = Files.readAllLines(f);
      } catch (IOException e) {
        throw PalException.environment("cannot read " + f + ": " + e.getMessage(), e);
      }
      for (int ln = 0; ln < lines.size(); ln++) {
        if (lines.get(ln).isBlank()) continue;
        JsonNode r;
        try {
          r = Json.mapper().readTree(lines.get(ln));
        } catch (IOException e) {
          throw PalException.userInput(f + " line " + (ln + 1) + ": not valid JSON");
        }
        JsonNode st = r.get("statement"), ans = r.get("answer_matching_behavior");
        if (st == null || ans == null) throw PalException.userInput(f + " line " + (ln + 1) + ": needs 'statement' and 'answer_matching_behavior'");
        boolean[] a = new boolean[k];
        a[j] = ans.asText().trim().equalsIgnoreCase("yes");
        statements.add(st.asText());
        agrees.add(a);
      }
    }
    try (Embedder e = registry.embedder(spec.encoder())) {
      float[][] s = e.embed(statements), ans = e.embed(List.of(" Yes", " No"));
      prompts = Table.of("prompts", s);
      items = Table.of("items", ans);
    }
  }


  public int statementCount() {
    prepare();
    return statements.size();
  }

  @Override
  public com.fasterxml.jackson.databind.JsonNode encoder() {
    return spec.encoder();
  }

  @Override
  public SplitDataset load(long seed) {
    prepare();
    int k = spec.personas().size(), n = spec.usersPerPersona(), m = spec.unseenUsersPerPersona();
    int seenTotal = k * n, users = k * (n + m);
    int total = seenTotal * spec.queries() + k * m * spec.unseenQueries();
    int[] user = new int[total], prompt = new int[total], left = new int[total], right = new int[total];
    byte[] label = new byte[total];
    List<String> ids = new ArrayList<>();
    Random r = new Random(seed);
    List<Integer> tr = new ArrayList<>(), va = new ArrayList<>(), te = new ArrayList<>(), un = new ArrayList<>();
    int p = 0;
    for (int u = 0; u < users; u++) {
      boolean seen = u < seenTotal;
      int persona = seen ? u / n : (u - seenTotal) / m;
      ids.add((seen ? "seen-" : "unseen-") + spec.personas().get(persona) + "-" + u);
      int q = seen ? spec.queries() : spec.unseenQueries();
      int nVal = (int) Math.round(q * spec.validationShare()), nTest = (int) Math.round(q * spec.testShare());
      for (int s : sample(r, statements.size(), q)) {
        boolean yes = agrees.get(s)[persona];
        boolean yesLeft = r.nextBoolean();
        user[p] = u;
        prompt[p] = s;
        left[p] = yesLeft ? 0 : 1;
        right[p] = yesLeft ? 1 : 0;
        label[p] = (byte) (yes == yesLeft ? 1 : -1);
        int j = seen ? (p - u * spec.queries()) : -1;
        if (!seen) un.add(p);
        else if (j < nVal) va.add(p);
        else if (j < nVal + nTest) te.add(p);
        else tr.add(p);
        p++;
      }
    }
    PreferenceDataset data = new PreferenceDataset(items, prompts, ids, new Pairs(user, prompt, left, right, label));
    int[] seenUsers = new int[seenTotal], unseenUsers = new int[users - seenTotal];
    for (int i = 0; i < seenTotal; i++) seenUsers[i] = i;
    for (int i = 0; i < unseenUsers.length; i++) unseenUsers[i] = seenTotal + i;
    return new SplitDataset(data, seenUsers, unseenUsers, ints(tr), ints(va), ints(te), ints(un));
  }

  /** q distinct indices out of n (all of them, shuffled, when q >= n). */
  private static int[] sample(Random r, int n, int q) {
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) idx[i] = i;
    int m = Math.min(q, n);
    for (int i = 0; i < m; i++) { int j = i + r.nextInt(n - i); int t = idx[i]; idx[i] = idx[j]; idx[j] = t; }
    return java.util.Arrays.copyOf(idx, m);
  }

  private static int[] ints(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }
}
