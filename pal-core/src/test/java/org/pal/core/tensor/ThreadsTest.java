package org.pal.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.bytedeco.openblas.global.openblas;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.pal.core.PalException;

/**
 * The thread settings reach the libraries that run kernels, and workers and kernel threads are set
 * together. (ND4J's Environment reports its own cap under OMP_NUM_THREADS=1, so its two setters are
 * not checked here.)
 */
class ThreadsTest {
  @Test
  void setReachesNd4jOpenMpOpenBlasAndPalsOwnLoops() {
    int before = Threads.parallelism(), blasBefore = openblas.blas_get_num_threads();
    try {
      // ND4J caps its settings at the machine's cores: 2 where there are two, else only 1 is checked
      for (int n : new int[] {Math.min(2, Runtime.getRuntime().availableProcessors()), 1}) {
        Threads.set(n);
        assertThat(Threads.parallelism()).as("PAL's loops").isEqualTo(n);
        assertThat(NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads()).as("OpenMP").isEqualTo(n);
        assertThat(Nd4j.factory().blas().getMaxThreads()).as("ND4J's BLAS").isEqualTo(n);
        assertThat(openblas.blas_get_num_threads()).as("OpenBLAS").isEqualTo(n);
      }
    } finally {
      Threads.set(before);
      openblas.blas_set_num_threads(Math.max(1, blasBefore));
    }
  }

  @Test
  void theDefaultIsTheMachinesCoresAtMostEight() {
    int cores = Runtime.getRuntime().availableProcessors();
    assertThat(Threads.defaultWorkers()).isEqualTo(Math.max(1, Math.min(cores, Threads.MAX_DEFAULT_WORKERS))).isPositive();
  }

  @Test
  void severalWorkersRunSingleThreadedKernels() {
    int workers = Threads.workers(), par = Threads.parallelism(), blasBefore = openblas.blas_get_num_threads();
    try {
      Threads.configure(2);
      assertThat(Threads.workers()).isEqualTo(2);
      assertThat(Threads.parallelism()).as("2 workers x T kernel threads would oversubscribe").isEqualTo(1);
      Threads.configure(1);
      assertThat(Threads.workers()).isEqualTo(1);
      assertThat(Threads.parallelism()).as("one worker: OMP_NUM_THREADS").isEqualTo(Threads.fromEnvironment());
      Threads.configure(null);
      assertThat(Threads.workers()).isEqualTo(Threads.defaultWorkers());
      assertThatThrownBy(() -> Threads.configure(0)).isInstanceOf(PalException.class).hasMessageContaining("threads").hasMessageContaining("at least 1");
      Threads.setWorkers(0);
      assertThat(Threads.workers()).as("never below one").isEqualTo(1);
    } finally {
      Threads.setWorkers(workers);
      Threads.set(par);
      openblas.blas_set_num_threads(Math.max(1, blasBefore));
    }
  }

  @Test
  void singleThreadedKernelsRestoreTheBlasThreadCount() {
    int before = openblas.blas_get_num_threads();
    openblas.blas_set_num_threads(2);
    try {
      try (Threads.Scope s = Threads.singleThreadedKernels()) {
        assertThat(openblas.blas_get_num_threads()).isEqualTo(1);
        assertThat(Threads.parallelism()).isEqualTo(1);
      }
      assertThat(openblas.blas_get_num_threads()).isEqualTo(2);
    } finally {
      openblas.blas_set_num_threads(Math.max(1, before));
    }
  }
}
