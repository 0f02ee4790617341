package org.pal.core.tensor;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Threads for ND4J's OpenMP ops and BLAS. One thread beats two on small 2-core machines (measured),
 * so the CLI defaults to OMP_NUM_THREADS or 1.
 */
public final class Threads {
  private Threads() {}

  private static volatile int parallelism = 1;

  /** Threads for PAL's own element-wise loops over large arrays (1 = sequential). */
  public static int parallelism() {
    return parallelism;
  }

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
}
