package org.pal.core.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.pal.core.PalException;
import org.pal.core.tensor.Threads;

/**
 * Training settings. Groups default to Appendix C.1 of the paper: mapping f lr 5e-4 with weight
 * decay 1e-3; prototypes and user weights lr 5e-3; the logit scale lr 5e-3. Any group a plugin
 * declares that is not listed uses {@code "default"}; {@code groups} holds only what the config names. {@code stepsPerEpoch} caps the mini-batches
 * per epoch (each epoch still draws from a fresh permutation of all training pairs) for very large data.
 * {@code threads} is the number of data-parallel workers each mini-batch is split across (absent:
 * {@link Threads#workers()}, the machine's cores up to 8); a run is bit-identical for a given number
 * of threads, and 1 thread is the plain sequential trainer.
 */
public record TrainerSpec(Integer epochs, Integer batchSize, Long seed, Integer patience,
                          Map<String, GroupSpec> groups, Double userInitStd, AdaptSpec adapt,
                          Integer stepsPerEpoch, Integer threads) {
  /** Without a thread count: {@link Threads#workers()} at training time. */
  public TrainerSpec(Integer epochs, Integer batchSize, Long seed, Integer patience, Map<String, GroupSpec> groups,
                     Double userInitStd, AdaptSpec adapt, Integer stepsPerEpoch) {
    this(epochs, batchSize, seed, patience, groups, userInitStd, adapt, stepsPerEpoch, null);
  }

  public TrainerSpec {
    if (epochs == null) epochs = 100;
    if (batchSize == null) batchSize = 256;
    if (seed == null) seed = 0L;
    if (patience == null) patience = 0;
    if (userInitStd == null) userInitStd = 1.0;
    if (adapt == null) adapt = AdaptSpec.defaults();
    if (stepsPerEpoch != null && stepsPerEpoch < 1) throw PalException.badInput("trainer.stepsPerEpoch", stepsPerEpoch, "must be at least 1 (omit it for full passes)");
    // only the groups the config names: the model checks them against its own (a misspelt name is an error)
    groups = groups == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(groups));
    if (epochs < 1) throw PalException.badInput("trainer.epochs", epochs, "must be at least 1");
    if (batchSize < 1) throw PalException.badInput("trainer.batchSize", batchSize, "must be at least 1");
    if (threads != null && threads < 1) throw PalException.badInput("trainer.threads", threads, "must be at least 1 (omit it for the machine's cores)");
    if (patience < 0) throw PalException.badInput("trainer.patience", patience, "must be >= 0 (0 = no early stopping)");
  }

  public static Map<String, GroupSpec> defaultGroups() {
    Map<String, GroupSpec> g = new LinkedHashMap<>();
    g.put("mapping", new GroupSpec(5e-4, 1e-3));
    g.put("prototypes", new GroupSpec(5e-3, 0.0));
    g.put("users", new GroupSpec(5e-3, 0.0));
    g.put("scale", new GroupSpec(5e-3, 0.0));
    g.put("default", new GroupSpec(1e-3, 0.0));
    return g;
  }

  public static TrainerSpec defaults() {
    return new TrainerSpec(null, null, null, null, null, null, null, null, null);
  }

  /** The settings of a group: as configured, else the paper's default for it, else the "default" group's. */
  public GroupSpec group(String name) {
    GroupSpec s = groups.get(name);
    if (s == null) s = DEFAULT_GROUPS.get(name);
    if (s == null) s = groups.get("default");
    return s != null ? s : DEFAULT_GROUPS.get("default");
  }

  private static final Map<String, GroupSpec> DEFAULT_GROUPS = Map.copyOf(defaultGroups());

  public TrainerSpec withEpochs(int e) {
    return new TrainerSpec(e, batchSize, seed, patience, groups, userInitStd, adapt, stepsPerEpoch, threads);
  }

  public TrainerSpec withSeed(long s) {
    return new TrainerSpec(epochs, batchSize, s, patience, groups, userInitStd, adapt, stepsPerEpoch, threads);
  }

  /** The workers this spec trains with: its own count, or {@link Threads#workers()} when it has none. */
  public int resolvedThreads() {
    return threads != null ? threads : Threads.workers();
  }

  public TrainerSpec withThreads(Integer t) {
    return new TrainerSpec(epochs, batchSize, seed, patience, groups, userInitStd, adapt, stepsPerEpoch, t);
  }

  public TrainerSpec withBatchSize(int b) {
    return new TrainerSpec(epochs, b, seed, patience, groups, userInitStd, adapt, stepsPerEpoch, threads);
  }
}
