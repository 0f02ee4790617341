package org.pal.core.tensor;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas;

/**
 * Matrix products on OpenBLAS, the library ND4J's native backend ships, called through its JavaCPP
 * binding directly: a 512x16x16 product costs 2.3 us this way against 27 us through
 * {@code Nd4j.gemm}'s op layer (measured here), and the per-call cost is what small PAL models pay.
 * Operands are copied from the heap into pooled off-heap buffers (memcpy speed) and the result back.
 * One instance per {@link Tape}; not thread-safe.
 */
final class Blas {
  private final boolean single;
  private final ShapePool<Pointer> pool = new ShapePool<>();
  private final List<Pointer> inUse = new ArrayList<>();

  Blas(boolean single) {
    this.single = single;
  }

  /** An off-heap copy of m, valid until {@link #release}. */
  Pointer stage(Mat m) {
    Pointer p = buffer(m.size());
    if (single) ((FloatPointer) p).put(m.f, m.off, m.size());
    else ((DoublePointer) p).put(m.d, m.off, m.size());
    return p;
  }

  /**
   * A buffer of at least {@code size} elements. Capacities are rounded up to a power of two, so
   * callers whose shapes vary from call to call (a server's batches) reuse a few buffers instead of
   * allocating native memory for every new size and keeping each one pooled.
   */
  Pointer buffer(int size) {
    int cap = size <= 1 ? 1 : Integer.highestOneBit(size - 1) << 1;
    Pointer p = pool.take(cap);
    if (p == null) p = single ? new FloatPointer(cap) : new DoublePointer(cap);
    inUse.add(p);
    return p;
  }

  /** A new buffer outside the pool (the caller keeps it). */
  Pointer fresh(int size) {
    return single ? new FloatPointer(size) : new DoublePointer(size);
  }

  void copyBack(Pointer p, Mat m) {
    if (single) ((FloatPointer) p).get(m.f, m.off, m.size());
    else ((DoublePointer) p).get(m.d, m.off, m.size());
  }

  /**
   * c = alpha op(a) op(b) + beta c, all row-major; op(a) is m x k, op(b) is k x n.
   */
  void gemm(boolean ta, boolean tb, int m, int n, int k, Pointer a, int lda, Pointer b, int ldb, double beta, Pointer c, int ldc) {
    int tA = ta ? openblas.CblasTrans : openblas.CblasNoTrans, tB = tb ? openblas.CblasTrans : openblas.CblasNoTrans;
    if (single) {
      openblas.cblas_sgemm(openblas.CblasRowMajor, tA, tB, m, n, k, 1f, (FloatPointer) a, lda, (FloatPointer) b, ldb, (float) beta, (FloatPointer) c, ldc);
    } else {
      openblas.cblas_dgemm(openblas.CblasRowMajor, tA, tB, m, n, k, 1.0, (DoublePointer) a, lda, (DoublePointer) b, ldb, beta, (DoublePointer) c, ldc);
    }
  }

  void release() {
    for (Pointer p : inUse) pool.give(p.limit(), p);
    inUse.clear();
  }
}
