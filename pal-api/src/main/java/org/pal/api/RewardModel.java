package org.pal.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.pal.core.PalException;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.data.Pairs;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;
import org.pal.core.data.Table;
import org.pal.core.eval.Adapter;
import org.pal.core.eval.Evaluator;
import org.pal.core.model.PalModel;
import org.pal.core.spi.FactorizedVariant;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.ParamStore;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;
import org.pal.core.train.AdaptSpec;

/**
 * A trained PAL reward model with the encoders it was trained with: rewards and preference
 * probabilities for any user (by id, explicit weights, or zero-shot) on raw text, images or vectors;
 * enrolment of new users from their comparisons; evaluation; saving. Scoring is thread-safe;
 * enrolment returns a new model and leaves this one unchanged.
 */
public final class RewardModel implements AutoCloseable {
  private static final int CHUNK = 4096;

  private final ComponentRegistry registry;
  private final PalModel model;
  private final Encoders encoders;
  private final ModelArchive.Provenance provenance;
  private final JsonNode dataset;
  private final Map<String, Integer> userRow = new HashMap<>();
  private final double[][] userWeights;
  private final double[] zeroShot;
  private final ThreadLocal<Tape> tapes;

  RewardModel(ComponentRegistry registry, PalModel model, Encoders encoders, ModelArchive.Provenance provenance, JsonNode dataset) {
    this.registry = registry;
    this.model = model;
    this.encoders = encoders;
    this.provenance = provenance;
    this.dataset = dataset;
    for (int i = 0; i < model.userIds().size(); i++) userRow.put(model.userIds().get(i), i);
    this.userWeights = model.weightsOf(model.users());
    this.zeroShot = Evaluator.meanWeights(model);
    this.tapes = ThreadLocal.withInitial(() -> new Tape(model.params().dtype()).noGrad(true));
  }

  // ---- what the model is

  /** The model variant's type name ("pal-a", "pal-b", or a plugin's). */
  public String type() {
    return model.config().model().path("type").asText();
  }

  public int k() {
    return model.k();
  }

  public List<String> users() {
    return model.userIds();
  }

  public boolean hasPrompts() {
    return model.promptDim() > 0;
  }

  public int itemDim() {
    return model.itemDim();
  }

  public int promptDim() {
    return model.promptDim();
  }

  /** The encoders recorded for raw inputs, or null for a model that reads vectors only. */
  public ModelArchive.Inputs inputs() {
    return encoders.recorded();
  }

  public ModelArchive.Provenance provenance() {
    return provenance;
  }

  /** The dataset the model was trained on (its spec or directory), or null. */
  public JsonNode dataset() {
    return dataset;
  }

  /** The engine's model, for code that composes its own training or evaluation loops. */
  public PalModel engine() {
    return model;
  }

  // ---- weights

  /** The simplex weights used for this user: their learned weights, the given ones, or the zero-shot mean. */
  public double[] weights(User user) {
    if (user instanceof User.Id id) {
      Integer r = userRow.get(id.id());
      if (r == null) {
        throw PalException.badInput("user", id.id(), "is not a user of this model (" + userRow.size()
            + " users); enrol them first, pass explicit weights, or ask for zero-shot weights");
      }
      return userWeights[r].clone();
    }
    if (user instanceof User.Weights w) {
      if (w.weights().length != k()) throw PalException.badInput("weights", w.weights().length + " values", "the model has K = " + k() + " prototypes; give " + k() + " weights");
      return w.weights().clone();
    }
    return zeroShot.clone();
  }

  /** Zero-shot weights: the mean of the seen users' weights (Section 3.3.1), for users with no comparisons. */
  public double[] zeroShotWeights() {
    return zeroShot.clone();
  }

  public boolean hasUser(String id) {
    return userRow.containsKey(id);
  }

  /** Every user's weights as an n x K ND4J matrix, rows in {@link #users()} order. */
  public INDArray weightsMatrix() {
    return Nd4j.createFromArray(userWeights).castTo(DataType.DOUBLE);
  }

  // ---- rewards

  /** Rewards of {@code responses} to {@code prompt} (null for models without prompts), in input order. */
  public double[] rewards(User user, Input prompt, List<Input> responses) {
    return score(List.of(new ScoreRequest(user, prompt, responses))).get(0).rewards();
  }

  public double[] rewards(User user, Input prompt, Input... responses) {
    return rewards(user, prompt, List.of(responses));
  }

  /** Probability that {@code a} is preferred over {@code b} under the model's link: h(r(a) - r(b)). */
  public double preference(User user, Input prompt, Input a, Input b) {
    return score(List.of(new ScoreRequest(user, prompt, List.of(a, b)))).get(0).preference();
  }

  /**
   * Many requests at once: every distinct prompt and response across all of them is encoded once,
   * and rewards are computed in batches.
   */
  public List<Scores> score(List<ScoreRequest> requests) {
    if (requests.isEmpty()) return List.of();
    int n = 0;
    List<Input> prompts = new ArrayList<>(), responses = new ArrayList<>();
    for (int r = 0; r < requests.size(); r++) {
      ScoreRequest q = requests.get(r);
      if (hasPrompts() && q.prompt() == null) {
        throw PalException.badInput("requests[" + r + "].prompt", "missing", "this model conditions on prompts; give the prompt");
      }
      if (!hasPrompts() && q.prompt() != null) {
        throw PalException.badInput("requests[" + r + "].prompt", "given", "this model was trained without prompts; leave the prompt out");
      }
      if (hasPrompts()) prompts.add(q.prompt());
      responses.addAll(q.responses());
      n += q.responses().size();
    }
    float[][] p = hasPrompts() ? encoders.encode(prompts, true, "prompt") : null;
    float[][] x = encoders.encode(responses, false, "responses");
    double[][] w = new double[n][];
    float[][] pr = p == null ? null : new float[n][];
    double[][] perRequest = new double[requests.size()][];
    int row = 0;
    for (int r = 0; r < requests.size(); r++) {
      perRequest[r] = weights(requests.get(r).user());
      for (int j = 0; j < requests.get(r).responses().size(); j++, row++) {
        w[row] = perRequest[r];
        if (pr != null) pr[row] = p[r];
      }
    }
    double[] u = rewards(w, pr, x);
    List<Scores> out = new ArrayList<>(requests.size());
    row = 0;
    for (int r = 0; r < requests.size(); r++) {
      int m = requests.get(r).responses().size();
      double[] rr = java.util.Arrays.copyOfRange(u, row, row + m);
      row += m;
      out.add(new Scores(perRequest[r], rr, m == 2 ? model.link().probability(rr[0] - rr[1]) : null));
    }
    return out;
  }

  /**
   * The vector path: reward of row i of {@code items} for weights row i under prompt row i
   * ({@code prompts} null for models without prompts). Rows are checked for shape and finiteness.
   */
  public double[] rewards(double[][] weights, float[][] prompts, float[][] items) {
    int n = items.length;
    if (weights.length != n) throw PalException.badInput("weights rows", weights.length, "give one weights row per item row (" + n + ")");
    if (hasPrompts() && (prompts == null || prompts.length != n)) {
      throw PalException.badInput("prompts rows", prompts == null ? "none" : prompts.length, "this model conditions on prompts: give one prompt row per item row (" + n + ")");
    }
    if (!hasPrompts() && prompts != null) throw PalException.badInput("prompts", "given", "this model was trained without prompts");
    double[] out = new double[n];
    Tape t = tapes.get();
    for (int from = 0; from < n; from += CHUNK) {
      int to = Math.min(n, from + CHUNK);
      t.reset();
      if (model.variant() instanceof FactorizedVariant fv) factorized(t, fv, weights, prompts, items, from, to, out);
      else rowwise(t, weights, prompts, items, from, to, out);
    }
    t.reset();
    for (int i = 0; i < n; i++) {
      if (!Double.isFinite(out[i])) throw PalException.internal("reward of row " + i + " is not finite; the model's parameters may be corrupt");
    }
    return out;
  }

  /** Every row through {@link org.pal.core.spi.ModelVariant#utilities}: the path for variants that do not factorize. */
  private void rowwise(Tape t, double[][] weights, float[][] prompts, float[][] items, int from, int to, double[] out) {
    int m = to - from;
    Mat wm = t.alloc(m, k()), xm = t.alloc(m, itemDim());
    Mat pm = hasPrompts() ? t.alloc(m, promptDim()) : null;
    for (int i = 0; i < m; i++) {
      putWeights(wm, i, weights[from + i], from + i);
      putRow(xm, i, items[from + i], itemDim(), "items", from + i);
      if (pm != null) putRow(pm, i, prompts[from + i], promptDim(), "prompts", from + i);
    }
    Var u = model.variant().utilities(t, t.constant(wm), pm == null ? null : t.constant(pm), null, t.constant(xm))[0];
    for (int i = 0; i < m; i++) out[from + i] = u.value().get(i);
  }

  /**
   * Each distinct (weights, prompt) context's ideal point once, then every row's item latent against
   * its context's: best-of-n scoring costs one item map per response. Contexts are told apart by the
   * identity of the row arrays ({@link #score} passes one array per request), which is exact and free.
   */
  private void factorized(Tape t, FactorizedVariant fv, double[][] weights, float[][] prompts, float[][] items, int from, int to, double[] out) {
    int n = to - from;
    int[] ctx = new int[n];
    Map<Context, Integer> index = new HashMap<>();
    List<Context> contexts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Context c = new Context(weights[from + i], prompts == null ? null : prompts[from + i]);
      Integer at = index.putIfAbsent(c, contexts.size());
      if (at == null) { at = contexts.size(); contexts.add(c); }
      ctx[i] = at;
    }
    int m = contexts.size();
    Mat wm = t.alloc(m, k());
    Mat pm = hasPrompts() ? t.alloc(m, promptDim()) : null;
    for (int c = 0; c < m; c++) {
      putWeights(wm, c, contexts.get(c).w(), from);
      if (pm != null) putRow(pm, c, contexts.get(c).p(), promptDim(), "prompts", from);
    }
    Var ideals = fv.idealLatents(t, t.constant(wm), pm == null ? null : t.constant(pm));
    Mat xm = t.alloc(n, itemDim());
    Mat px = hasPrompts() && fv.itemsUsePrompts() ? t.alloc(n, promptDim()) : null;
    for (int i = 0; i < n; i++) {
      putRow(xm, i, items[from + i], itemDim(), "items", from + i);
      if (px != null) putRow(px, i, prompts[from + i], promptDim(), "prompts", from + i);
    }
    Var latents = fv.itemLatents(t, t.constant(xm), px == null ? null : t.constant(px));
    Var u = fv.utility(t, latents, m == 1 && n == 1 ? ideals : t.gatherRows(ideals, ctx));
    for (int i = 0; i < n; i++) out[from + i] = u.value().get(i);
  }

  /** A scoring context keyed by the identity of its row arrays. */
  private record Context(double[] w, float[] p) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Context c && c.w == w && c.p == p;
    }

    @Override
    public int hashCode() {
      return 31 * System.identityHashCode(w) + System.identityHashCode(p);
    }
  }

  private void putWeights(Mat m, int row, double[] w, int index) {
    if (w == null || w.length != k()) throw PalException.badInput("weights[" + index + "]", w == null ? "null" : w.length + " values", "the model has K = " + k());
    for (int j = 0; j < w.length; j++) m.set(row, j, w[j]);
  }

  /** The same with ND4J matrices: weights n x K, prompts n x P (or null), items n x D; returns a length-n vector. */
  public INDArray rewards(INDArray weights, INDArray prompts, INDArray items) {
    double[] r = rewards(weights.toDoubleMatrix(), prompts == null ? null : prompts.toFloatMatrix(), items.toFloatMatrix());
    return Nd4j.createFromArray(r);
  }

  private static void putRow(Mat m, int row, float[] v, int dim, String field, int index) {
    if (v == null || v.length != dim) {
      throw PalException.badInput(field + "[" + index + "] length", v == null ? "null" : v.length, "the model reads vectors of dimension " + dim);
    }
    m.putRow(row, 0, v, 0, dim);
  }

  /**
   * Vectors of {@code inputs} through the model's recorded encoder (texts and images; vectors are
   * checked and passed through), each distinct input once, in order. {@code prompts} picks the
   * prompt encoder and dimension instead of the items'.
   */
  public float[][] embed(List<Input> inputs, boolean prompts) {
    if (prompts && !hasPrompts()) throw PalException.badInput("prompt", "given", "this model was trained without prompts");
    return encoders.encode(inputs, prompts, prompts ? "prompts" : "responses");
  }

  // ---- enrolment

  /** Enrols new users (existing users are refused). */
  public Enrolment enrol(List<Comparison> comparisons) {
    return enrol(comparisons, false);
  }

  /**
   * Learns only the K simplex weights of the users in {@code comparisons} (everything else frozen),
   * each user's last share of comparisons choosing the epoch (the one rule of {@link Adapter#validationCount}).
   *
   * @param update refit users the model already has (their old weights are replaced); otherwise they are refused
   */
  public Enrolment enrol(List<Comparison> comparisons, boolean update) {
    long t0 = System.nanoTime();
    check(comparisons, update);
    Fit f = fit(comparisons, org.pal.core.tensor.Threads.workers());
    return enrolled(f.ids(), f.table().get(PalModel.USERS), f.users(), update, t0);
  }

  /**
   * Enrols every user of {@code comparisons} on their own, as {@link #enrol} does for a call holding
   * only that user's comparisons with one worker thread (the same weights: users are independent),
   * the users spread over the process's worker threads ({@link PalApi#useThreads}); one model with
   * all of them added. {@link #enrol} fits the users of one call together instead (shared batches
   * and epochs), which suits a few users; this suits many, and gives each user the weights a
   * separate call (or {@code pal-spark}'s enrolment) gives them.
   *
   * @param update refit users the model already has (their old weights are replaced); otherwise they are refused
   */
  public Enrolment enrolEach(List<Comparison> comparisons, boolean update) {
    long t0 = System.nanoTime();
    check(comparisons, update);
    Map<String, List<Comparison>> byUser = new LinkedHashMap<>();
    for (Comparison c : comparisons) byUser.computeIfAbsent(c.user(), k -> new ArrayList<>()).add(c);
    List<List<Comparison>> groups = new ArrayList<>(byUser.values());
    Fit[] fits = new Fit[groups.size()];
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    int threads = Math.max(1, Math.min(org.pal.core.tensor.Threads.workers(), groups.size()));
    // frozen once for all workers: each fit would otherwise freeze and restore it in turn under the others
    boolean wasFrozen = model.params().frozen();
    model.params().freeze(true);
    try (org.pal.core.tensor.Threads.Scope kernels = threads > 1 ? org.pal.core.tensor.Threads.singleThreadedKernels() : null) {
      org.pal.core.train.Workers.shared().run(threads, w -> {
        for (int g; (g = next.getAndIncrement()) < fits.length; ) fits[g] = fit(groups.get(g), 1);
      });
    } finally {
      model.params().freeze(wasFrozen);
    }
    List<String> ids = new ArrayList<>(byUser.keySet());
    ParamStore all = model.newUserTable(ids.size());
    Param logits = all.get(PalModel.USERS);
    int k = model.k();
    List<Enrolment.EnrolledUser> out = new ArrayList<>(ids.size());
    for (int u = 0; u < fits.length; u++) {
      Param one = fits[u].table().get(PalModel.USERS);
      for (int j = 0; j < k; j++) logits.value().set(u * k + j, one.value().get(j));
      out.add(fits[u].users().get(0));
    }
    return enrolled(ids, logits, out, update, t0);
  }

  /** The checks of an enrolment's comparisons, before any work: new users only unless {@code update}, prompts as the model needs. */
  private void check(List<Comparison> comparisons, boolean update) {
    if (comparisons.isEmpty()) throw PalException.badInput("comparisons", "[]", "give at least one comparison to enrol a user");
    for (int i = 0; i < comparisons.size(); i++) {
      Comparison c = comparisons.get(i);
      if (!update && userRow.containsKey(c.user())) {
        throw PalException.badInput("comparisons[" + i + "].user", c.user(), "is already a user of this model; enrol new users only, or ask to update (refit) existing ones");
      }
      if (hasPrompts() && c.prompt() == null) throw PalException.badInput("comparisons[" + i + "].prompt", "missing", "this model conditions on prompts");
      if (!hasPrompts() && c.prompt() != null) throw PalException.badInput("comparisons[" + i + "].prompt", "given", "this model was trained without prompts; leave it out");
    }
  }

  /** Fitted users (in order of first appearance): their logit table and per-user results. */
  private record Fit(List<String> ids, ParamStore table, List<Enrolment.EnrolledUser> users) {}

  /** Fits the users of checked {@code comparisons} together, each mini-batch split over {@code threads} data-parallel workers. */
  private Fit fit(List<Comparison> comparisons, int threads) {
    Map<String, List<Integer>> byUser = new LinkedHashMap<>();
    List<Input> prompts = new ArrayList<>(), items = new ArrayList<>();
    for (int i = 0; i < comparisons.size(); i++) {
      Comparison c = comparisons.get(i);
      byUser.computeIfAbsent(c.user(), k -> new ArrayList<>()).add(i);
      if (hasPrompts()) prompts.add(c.prompt());
      items.add(c.chosen());
      items.add(c.rejected());
    }
    // tables of the distinct inputs; a pair indexes them
    float[][] x = encoders.encode(items, false, "comparisons.responses");
    float[][] p = hasPrompts() ? encoders.encode(prompts, true, "comparisons.prompt") : null;
    List<String> ids = new ArrayList<>(byUser.keySet());
    int n = comparisons.size();
    int[] user = new int[n], prompt = new int[n], left = new int[n], right = new int[n];
    byte[] label = new byte[n];
    Map<String, Integer> uix = new HashMap<>();
    for (int i = 0; i < ids.size(); i++) uix.put(ids.get(i), i);
    for (int i = 0; i < n; i++) {
      user[i] = uix.get(comparisons.get(i).user());
      prompt[i] = p == null ? -1 : i;
      left[i] = 2 * i;
      right[i] = 2 * i + 1;
      label[i] = 1; // chosen is left; the model is symmetric in the two sides
    }
    PreferenceDataset d = new PreferenceDataset(Table.of("items", x), p == null ? null : Table.of("prompts", p), ids,
        new Pairs(user, prompt, left, right, label));
    AdaptSpec spec = model.config().trainer().adapt();
    List<Integer> tr = new ArrayList<>(), va = new ArrayList<>();
    for (List<Integer> ps : byUser.values()) {
      int nVal = Adapter.validationCount(ps.size(), spec.validationShare());
      for (int i = 0; i < ps.size(); i++) (i < ps.size() - nVal ? tr : va).add(ps.get(i));
    }
    int[] identity = new int[ids.size()];
    for (int i = 0; i < identity.length; i++) identity[i] = i;
    int[] trA = tr.stream().mapToInt(Integer::intValue).toArray(), vaA = va.stream().mapToInt(Integer::intValue).toArray();
    ParamStore table = Adapter.enrol(model, d, trA, vaA, identity, ids.size(), spec, model.config().trainer().seed(), threads);
    double[][] w = model.weightsOf(table.get(PalModel.USERS));
    // per-user accuracy on their validation pairs
    int[] correct = new int[ids.size()], total = new int[ids.size()];
    if (vaA.length > 0) {
      double[] margins = margins(d, vaA, table);
      for (int i = 0; i < vaA.length; i++) {
        int u = user[vaA[i]];
        total[u]++;
        if (margins[i] > 0) correct[u]++;
      }
    }
    List<Enrolment.EnrolledUser> out = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      out.add(new Enrolment.EnrolledUser(ids.get(i), w[i], byUser.get(ids.get(i)).size(), total[i] == 0 ? null : correct[i] / (double) total[i]));
    }
    return new Fit(ids, table, out);
  }

  /** The enrolment's result: a new model with {@code logits} for {@code ids} (one copy of this one). */
  private Enrolment enrolled(List<String> ids, Param logits, List<Enrolment.EnrolledUser> out, boolean update, long t0) {
    PalModel enrolled = model.withUserLogits(registry, ids, logits, update);
    Map<String, Object> extra = new LinkedHashMap<>(provenance == null || provenance.extra() == null ? Map.of() : provenance.extra());
    extra.put("enrolledUsers", ids);
    ModelArchive.Provenance prov = new ModelArchive.Provenance(provenance == null ? model.config().trainer().seed() : provenance.seed(),
        provenance == null ? null : provenance.dataHash(), ModelArchive.VERSION, Instant.now().toString(), extra);
    RewardModel next = new RewardModel(registry, enrolled, encoders.share(), prov, dataset);
    return new Enrolment(next, out, (System.nanoTime() - t0) / 1e6);
  }

  private double[] margins(PreferenceDataset d, int[] idx, ParamStore table) {
    Tape t = new Tape(model.params().dtype()).noGrad(true);
    int[] identity = new int[d.userIds().size()];
    for (int i = 0; i < identity.length; i++) identity[i] = i;
    var b = org.pal.core.model.Batch.gather(t, d, idx, 0, idx.length, identity);
    Var m = model.margins(t, b, table.get(PalModel.USERS), null);
    double[] out = new double[idx.length];
    for (int i = 0; i < out.length; i++) out[i] = m.value().get(i);
    return out;
  }

  // ---- evaluation and saving

  /**
   * Seen, few-shot unseen and zero-shot accuracy on a dataset the model was trained on (same seen
   * users, same dimensions); {@code shots} enrolment comparisons per unseen user.
   */
  public Evaluation evaluate(Dataset data, int shots) {
    SplitDataset split = data.split();
    PalApi.requireCompatible(model, split);
    if (!split.ids(split.seenUsers()).equals(model.userIds())) {
      throw PalException.badInput("data", "seen users", "differ from the model's " + model.userIds().size()
          + " users; evaluate on the dataset the model was trained on, or enrol new users first");
    }
    return PalApi.evaluate(model, split, shots);
  }

  /** A user's accuracy on their held-out (test) pairs, and how many there were. */
  public record HeldOut(double accuracy, int pairs) {}

  /**
   * How well the model predicts one of its users on their test pairs of {@code data} (the dataset
   * it was trained on, e.g. {@link PalApi#trainingData}); null when the user has no test pairs there.
   */
  public HeldOut heldOut(Dataset data, String user) {
    SplitDataset split = data.split();
    PalApi.requireCompatible(model, split);
    if (!hasUser(user)) throw PalException.badInput("user", user, "is not a user of this model");
    int u = split.data().userIds().indexOf(user);
    if (u < 0) throw PalException.badInput("data", "users", "the dataset does not hold user " + user + "; give the dataset the model was trained on");
    List<Integer> pairs = new ArrayList<>();
    for (int p : split.test()) if (split.data().pairs().user[p] == u) pairs.add(p);
    if (pairs.isEmpty()) return null;
    int[] idx = pairs.stream().mapToInt(Integer::intValue).toArray();
    return new HeldOut(Evaluator.accuracyWithWeights(model, split.data(), idx, weights(User.id(user))), idx.length);
  }

  /** Writes this model as an archive (atomically), with its encoders and provenance; returns this. */
  public RewardModel save(Path dir) {
    ModelArchive.save(model, dir, provenance == null
        ? new ModelArchive.Provenance(model.config().trainer().seed(), null, ModelArchive.VERSION, Instant.now().toString(), Map.of())
        : provenance, encoders.recorded(), dataset);
    return this;
  }

  /** Releases the encoders (shared with models derived by enrolment: closed when the last one is). */
  @Override
  public void close() {
    encoders.close();
  }
}
