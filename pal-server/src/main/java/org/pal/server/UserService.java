package org.pal.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.pal.api.ActiveQuery;
import org.pal.api.Input;
import org.pal.api.RewardModel;
import org.pal.api.User;
import org.pal.api.UserPosterior;

/**
 * Users of the server: enrolment (refit on all of a user's comparisons, durable before it returns),
 * look-up, deletion, the weights to score with, and the next question to ask. Changes to one user
 * are serialised; different users proceed in parallel.
 */
final class UserService {
  private static final Set<String> COMPARISON_FIELDS = Set.of("prompt", "chosen", "rejected");

  private final RewardModel model;
  private final UserPosterior posterior;
  private final UserStore store;
  private final EmbeddingMemo memo;
  private final JsonInputs inputs;
  private final Metrics metrics;
  private final int maxComparisons;
  private final ReentrantLock[] locks = new ReentrantLock[256];

  UserService(RewardModel model, UserPosterior posterior, UserStore store, EmbeddingMemo memo, JsonInputs inputs, Metrics metrics, int maxComparisons) {
    this.model = model;
    this.posterior = posterior;
    this.store = store;
    this.memo = memo;
    this.inputs = inputs;
    this.metrics = metrics;
    this.maxComparisons = maxComparisons;
    for (int i = 0; i < locks.length; i++) locks[i] = new ReentrantLock();
    metrics.users.set(store.size());
  }

  static String checkId(String id) {
    if (id == null || !validId(id)) {
      throw ApiError.bad("user", id == null ? "missing" : "(" + Math.min(id.length(), 999) + " chars)", "user ids are 1-128 characters of A-Z a-z 0-9 . _ : @ ~ -");
    }
    return id;
  }

  /** [A-Za-z0-9._:@~-]{1,128}, checked per character rather than by a regex: this runs on every scoring request. */
  private static boolean validId(String id) {
    int n = id.length();
    if (n < 1 || n > 128) return false;
    for (int i = 0; i < n; i++) {
      char c = id.charAt(i);
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || ".:_@~-".indexOf(c) >= 0;
      if (!ok) return false;
    }
    return true;
  }

  int size() {
    return store.size();
  }

  /** The weights to score {@code id} with; null when the user is unknown. */
  double[] weightsOf(String id) {
    UserStore.StoredUser u = store.get(id);
    if (u != null) return u.weights();
    if (model.hasUser(id)) return model.weights(User.id(id));
    return null;
  }

  UserStore.StoredUser get(String id) {
    return store.get(id);
  }

  boolean isModelUser(String id) {
    return model.hasUser(id);
  }

  /** Adds comparisons (JSON objects, validated here) and refits the user on all of theirs; durable on return. */
  UserStore.StoredUser enrol(String id, JsonNode comparisons) {
    if (model.hasUser(id)) throw new ApiError(409, "user", id, "is a user the model was trained on; enrol new users under other ids");
    List<JsonNode> added = new ArrayList<>();
    for (int i = 0; i < comparisons.size(); i++) {
      JsonNode c = comparisons.get(i);
      JsonInputs.only(c, "comparisons[" + i + "]", COMPARISON_FIELDS);
      parse(c, "comparisons[" + i + "]"); // validates every value before anything is stored
      added.add(c);
    }
    ReentrantLock lock = locks[Math.floorMod(id.hashCode(), locks.length)];
    lock.lock();
    try {
      UserStore.StoredUser old = store.get(id);
      int total = (old == null ? 0 : old.comparisons().size()) + added.size();
      if (total > maxComparisons) {
        throw ApiError.bad("comparisons", total + " in all", "a user holds at most " + maxComparisons + " comparisons");
      }
      List<JsonNode> all = new ArrayList<>(old == null ? List.of() : old.comparisons());
      all.addAll(added);
      UserPosterior.Fit f = posterior.fit(answers(all), old == null ? null : old.logits());
      UserStore.StoredUser u = store.put(id, added, f.logits(), f.weights(), f.covariance(), f.weightStd());
      metrics.enrolments.inc();
      metrics.comparisons.inc(added.size());
      metrics.users.set(store.size());
      return u;
    } finally {
      lock.unlock();
    }
  }

  boolean delete(String id) {
    ReentrantLock lock = locks[Math.floorMod(id.hashCode(), locks.length)];
    lock.lock();
    try {
      boolean d = store.delete(id);
      metrics.users.set(store.size());
      return d;
    } finally {
      lock.unlock();
    }
  }

  /** The posterior of a stored user, or the prior for an unknown one (a new user's first question). */
  UserPosterior.Fit posteriorOf(String id) {
    if (model.hasUser(id)) throw new ApiError(409, "user", id, "is a user the model was trained on; questions are for users enrolled here");
    UserStore.StoredUser u = store.get(id);
    if (u == null) return posterior.prior();
    return new UserPosterior.Fit(u.logits(), u.weights(), u.covariance(), u.weightStd(), u.comparisons().size());
  }

  ActiveQuery.Choice nextQuery(UserPosterior.Fit fit, Input prompt, List<Input> candidates) {
    float[] p = prompt == null ? null : memo.embed(List.of(prompt), true)[0];
    float[][] c = memo.embed(candidates, false);
    return ActiveQuery.bestPair(posterior, fit, p, c);
  }

  private record Parsed(Input prompt, Input chosen, Input rejected) {}

  private Parsed parse(JsonNode c, String where) {
    JsonNode p = c.get("prompt");
    Input prompt = null;
    if (model.hasPrompts()) prompt = inputs.value(p, where + ".prompt", true);
    else if (p != null && !p.isNull()) throw ApiError.bad(where + ".prompt", "given", "this model was trained without prompts; leave it out");
    return new Parsed(prompt, inputs.value(c.get("chosen"), where + ".chosen", false), inputs.value(c.get("rejected"), where + ".rejected", false));
  }

  private UserPosterior.Answers answers(List<JsonNode> all) {
    int n = all.size();
    List<Input> items = new ArrayList<>(2 * n), prompts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Parsed p = parse(all.get(i), "comparisons[" + i + "]");
      items.add(p.chosen());
      items.add(p.rejected());
      if (model.hasPrompts()) prompts.add(p.prompt());
    }
    float[][] x = memo.embed(items, false);
    float[][] ps = model.hasPrompts() ? memo.embed(prompts, true) : null;
    float[][] ch = new float[n][], rj = new float[n][];
    for (int i = 0; i < n; i++) {
      ch[i] = x[2 * i];
      rj[i] = x[2 * i + 1];
    }
    return new UserPosterior.Answers(ps, ch, rj);
  }
}
