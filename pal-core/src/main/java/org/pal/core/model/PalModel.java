package org.pal.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Random;
import org.pal.core.PalException;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.PalConfig;
import org.pal.core.spi.BuildContext;
import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.LinkFunction;
import org.pal.core.spi.Loss;
import org.pal.core.spi.ModelVariant;
import org.pal.core.spi.SimplexMap;
import org.pal.core.tensor.Init;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.ParamStore;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/**
 * An assembled PAL model: the variant (with its shared parameters), the simplex map, link and loss,
 * and the table of seen users' simplex logits (one row per user id, group "users").
 */
public final class PalModel {
  public static final String USERS = "users";

  private final PalConfig config;
  private final ModelVariant variant;
  private final SimplexMap simplex;
  private final LinkFunction link;
  private final Loss loss;
  private final ParamStore params;
  private final Param users;
  private final List<String> userIds;
  private final int itemDim;
  private final int promptDim;

  private PalModel(PalConfig config, ModelVariant variant, SimplexMap simplex, LinkFunction link, Loss loss,
                   ParamStore params, Param users, List<String> userIds, int itemDim, int promptDim) {
    this.config = config;
    this.variant = variant;
    this.simplex = simplex;
    this.link = link;
    this.loss = loss;
    this.params = params;
    this.users = users;
    this.userIds = List.copyOf(userIds);
    this.itemDim = itemDim;
    this.promptDim = promptDim;
  }

  /** Builds every component through the registry and initialises parameters from the trainer seed. */
  public static PalModel build(ComponentRegistry registry, PalConfig config, int itemDim, int promptDim,
                               List<String> userIds, org.nd4j.linalg.api.buffer.DataType dtype) {
    return build(registry, config, itemDim, promptDim, userIds, dtype, true);
  }

  /** With {@code initialise} false every parameter starts at zero: for a copy that overwrites them all. */
  private static PalModel build(ComponentRegistry registry, PalConfig config, int itemDim, int promptDim,
                                List<String> userIds, org.nd4j.linalg.api.buffer.DataType dtype, boolean initialise) {
    if (itemDim < 1) throw PalException.badInput("itemDim", itemDim, "items need at least one embedding dimension");
    if (userIds.isEmpty()) throw PalException.badInput("users", "[]", "need at least one user to learn weights for");
    ParamStore store = new ParamStore(dtype);
    JsonNode kNode = config.model() == null ? null : config.model().get("k");
    if (kNode != null && !(kNode.isIntegralNumber() && kNode.canConvertToInt())) {
      throw PalException.badInput("model.k", kNode, "K, the number of prototypes, must be a whole number");
    }
    int k = kNode != null ? kNode.asInt() : 1;
    if (k < 1) throw PalException.badInput("model.k", k, "K, the number of prototypes, must be at least 1 (K = 1 is the homogeneous BTL model)");
    BuildContext ctx = new BuildContext(registry, store, "", "mapping", itemDim, 0, itemDim, promptDim, k, "model");
    ModelVariant variant = registry.create(ExtensionPoint.MODEL, config.model(), ctx);
    SimplexMap simplex = registry.create(ExtensionPoint.SIMPLEX, config.simplex(), ctx.child("simplex", "users", 0, 0, "simplex"));
    LinkFunction link = registry.create(ExtensionPoint.LINK, config.link(), ctx.child("link", "default", 0, 0, "link"));
    Loss loss = registry.create(ExtensionPoint.LOSS, config.loss(), ctx.child("loss", "default", 0, 0, "loss"));
    Param users = store.create(USERS, USERS, userIds.size(), variant.k(), Init.normal(config.trainer().userInitStd()));
    if (initialise) store.seal(config.trainer().seed());
    else store.sealForCopy();
    requireKnownGroups(config, store);
    return new PalModel(config, variant, simplex, link, loss, store, users, userIds, itemDim, promptDim);
  }

  /** A group the config names must be one the model has (or "default"): a misspelt name would silently train with defaults. */
  private static void requireKnownGroups(PalConfig config, ParamStore store) {
    java.util.Set<String> known = new java.util.TreeSet<>(store.groups());
    known.add("default");
    for (String g : config.trainer().groups().keySet()) {
      if (!known.contains(g)) {
        throw PalException.badInput("trainer.groups." + g, "(a group name)", "this model has no parameter group '" + g + "'; its groups: " + known);
      }
    }
  }

  /** Signed margins u(left) - u(right) for a batch, with weights from rows of a user-logit table. */
  public Var margins(Tape tape, Batch batch, Param userTable, Random random) {
    Var logits = tape.gatherRows(tape.param(userTable), batch.userRows());
    Var w = simplex.weights(tape, logits, random);
    return marginsWithWeights(tape, batch, w, random);
  }

  public Var marginsWithWeights(Tape tape, Batch batch, Var weights, Random random) {
    Var prompts = batch.prompts() == null ? null : tape.constant(batch.prompts());
    Var[] u = variant.utilities(tape, weights, prompts, random, tape.constant(batch.left()), tape.constant(batch.right()));
    return tape.sub(u[0], u[1]);
  }

  public Var loss(Tape tape, Var margins, Batch batch) {
    return loss(tape, margins, batch.labels());
  }

  /** The loss of margins against labels (n x 1, +1 when the left item won). */
  public Var loss(Tape tape, Var margins, Mat labels) {
    return loss.loss(tape, margins, tape.constant(labels), link);
  }

  /** Simplex weights of every row of a logit table, evaluation mode. */
  public double[][] weightsOf(Param table) {
    Tape tape = new Tape(params.dtype());
    tape.noGrad(true);
    Var w = simplex.weights(tape, tape.param(table), null);
    double[][] out = new double[table.rows()][table.cols()];
    for (int i = 0; i < table.rows(); i++) for (int j = 0; j < table.cols(); j++) out[i][j] = w.value().get(i, j);
    return out;
  }

  /** A fresh, separately sealed logit table for new users (few-shot enrolment), starting at uniform weights. */
  public ParamStore newUserTable(int nUsers) {
    ParamStore s = new ParamStore(params.dtype());
    s.create(USERS, USERS, nUsers, variant.k(), Init.constant(0));
    return s.seal(0);
  }

  /** Weights as a constant n x K matrix for explicit-weight scoring. */
  public Var constantWeights(Tape tape, double[][] w) {
    Mat m = tape.alloc(w.length, variant.k());
    for (int i = 0; i < w.length; i++) {
      if (w[i].length != variant.k()) throw PalException.badInput("weights[" + i + "].length", w[i].length, "the model has K = " + variant.k() + " prototypes");
      for (int j = 0; j < w[i].length; j++) m.set(i, j, w[i][j]);
    }
    return tape.constant(m);
  }

  /** A copy of this model with more users: shared parameters copied, new users' logits appended. */
  public PalModel withUsers(ComponentRegistry registry, List<String> newIds, Param newLogits) {
    return withUserLogits(registry, newIds, newLogits, false);
  }

  /**
   * A copy of this model with the given users' logits (row i of {@code logits} for {@code ids[i]}):
   * users not in the model are appended; users already in it are refused unless {@code replace},
   * which overwrites their rows (a refit). Shared parameters are copied unchanged.
   */
  public PalModel withUserLogits(ComponentRegistry registry, List<String> ids, Param logits, boolean replace) {
    if (logits.rows() != ids.size() || logits.cols() != k()) {
      throw PalException.internal(ids.size() + " user ids but a " + logits.rows() + "x" + logits.cols() + " logit table (K = " + k() + ")");
    }
    java.util.Map<String, Integer> row = new java.util.HashMap<>();
    for (int i = 0; i < userIds.size(); i++) row.put(userIds.get(i), i);
    List<String> all = new java.util.ArrayList<>(userIds);
    int[] target = new int[ids.size()];
    java.util.Set<String> given = new java.util.HashSet<>();
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get(i);
      if (!given.add(id)) throw PalException.badInput("user", id, "is given twice; give each user's comparisons together");
      Integer r = row.get(id);
      if (r != null && !replace) throw PalException.badInput("user", id, "is already a user of this model; give new users only, or ask to update (refit) existing ones");
      if (r == null) { r = all.size(); all.add(id); }
      target[i] = r;
    }
    PalModel m = build(registry, config, itemDim, promptDim, all, params.dtype(), false); // every value is copied below
    for (Param p : params.params()) {
      Param q = m.params.get(p.name());
      if (p == users) {
        for (int i = 0; i < p.value().size(); i++) q.value().set(i, p.value().get(i));
        int kk = k();
        for (int i = 0; i < target.length; i++) for (int j = 0; j < kk; j++) q.value().set(target[i] * kk + j, logits.value().get(i * kk + j));
      } else {
        q.value().copyFrom(p.value());
      }
    }
    return m;
  }

  public PalConfig config() { return config; }
  public ModelVariant variant() { return variant; }
  public SimplexMap simplex() { return simplex; }
  public LinkFunction link() { return link; }
  public ParamStore params() { return params; }
  public Param users() { return users; }
  public List<String> userIds() { return userIds; }
  public int itemDim() { return itemDim; }
  public int promptDim() { return promptDim; }
  public int k() { return variant.k(); }
  /** The variant's independent branches ({@link ModelVariant#branches}). */
  public int branches() { return variant.branches(); }

  public int userRow(String id) {
    int r = userIds.indexOf(id);
    if (r < 0) throw PalException.badInput("user", id, "is not a user of this model (" + userIds.size() + " users); enrol them with 'pal adapt' or pass explicit --weights");
    return r;
  }
}
