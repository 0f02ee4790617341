package org.pal.core.tensor;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The two kinds of threads PAL uses, managed together so that they never oversubscribe the cores:
 * <ul>
 *   <li><b>workers</b> ({@link #workers()}): data-parallel training shards, evaluation chunks and
 *   enrolment shards, each on its own {@link Tape} (see {@code org.pal.core.train.Workers});</li>
 *   <li><b>kernel threads</b> ({@link #set}): ND4J's OpenMP ops, OpenBLAS and PAL's element-wise
 *   loops over large arrays ({@link #parallelism()}).</li>
 * </ul>
 * With more than one worker every kernel runs single-threaded ({@link #singleThreadedKernels}); with
 * one worker the kernels may use {@code OMP_NUM_THREADS} threads, as before workers existed.
 */
public final class Threads {
  private Threads() {}

  /** The default number of workers never exceeds this: beyond it a mini-batch of 256 pairs is cut too fine. */
  public static final int MAX_DEFAULT_WORKERS = 8;

  private static volatile int parallelism = 1;
  private static volatile int workers = defaultWorkers();

  /** Threads for PAL's own element-wise loops over large arrays (1 = sequential). */
  public static int parallelism() {
    return parallelism;
  }

  /** Kernel threads: ND4J/OpenMP, OpenBLAS and {@link #parallelism()}. */
  public static void set(int n) {
    int t = Math.max(1, n);
    parallelism = t;
    Nd4j.getEnvironment().setMaxThreads(t);
    Nd4j.getEnvironment().setMaxMasterThreads(t);
    NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(t);
    Nd4j.factory().blas().setMaxThreads(t);
    org.bytedeco.openblas.global.openblas.blas_set_num_threads(t);
  }

  public static int fromEnvironment() {
    String s = System.getenv("OMP_NUM_THREADS");
    try {
      return s == null ? 1 : Math.max(1, Integer.parseInt(s.trim()));
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  /** The machine's cores, at most {@link #MAX_DEFAULT_WORKERS}. */
  public static int defaultWorkers() {
    return Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), MAX_DEFAULT_WORKERS));
  }

  /** Workers used where a trainer spec or caller does not say (process-wide; default {@link #defaultWorkers()}). */
  public static int workers() {
    return workers;
  }

  public static void setWorkers(int n) {
    workers = Math.max(1, n);
  }

  /**
   * N workers (null: {@link #defaultWorkers()}) and the kernel threads that go with them: 1 when N > 1
   * (N x T threads would oversubscribe the cores), else OMP_NUM_THREADS or 1.
   */
  public static void configure(Integer n) {
    if (n != null && n < 1) throw org.pal.core.PalException.badInput("threads", n, "must be at least 1");
    int w = n != null ? n : defaultWorkers();
    setWorkers(w);
    set(w > 1 ? 1 : fromEnvironment());
  }

  /**
   * Makes OpenBLAS and {@link #parallelism()} single-threaded until the returned scope is closed, which
   * restores what was there: N workers each calling a multi-threaded BLAS would run N x T threads on
   * the cores. Process-wide, like the settings it changes.
   */
  public static Scope singleThreadedKernels() {
    int blas = org.bytedeco.openblas.global.openblas.blas_get_num_threads();
    int par = parallelism;
    if (blas != 1) org.bytedeco.openblas.global.openblas.blas_set_num_threads(1);
    parallelism = 1;
    return () -> {
      parallelism = par;
      if (blas != 1) org.bytedeco.openblas.global.openblas.blas_set_num_threads(blas);
    };
  }

  /** A setting in force until closed. */
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }
}
