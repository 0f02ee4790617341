package org.pal.core.tensor;

import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.PalException;

/**
 * A dense row-major matrix on the Java heap: a {@code float[]} (training) or {@code double[]}
 * (gradient checks) with an offset, so parameters can be views into one flat buffer. Element-wise
 * work runs as plain Java loops, which the JIT vectorises; only matrix products are handed to BLAS
 * (OpenBLAS) through off-heap staging copies, see {@link Blas}. Measured here: ND4J costs 13-56 us
 * per op and 46 us per allocation, and loops over direct buffers do not vectorise, so heap arrays
 * with memcpy staging beat both for every size we train.
 */
public final class Mat {
  public final int rows;
  public final int cols;
  final float[] f;
  final double[] d;
  final int off;

  private Mat(int rows, int cols, float[] f, double[] d, int off) {
    this.rows = rows;
    this.cols = cols;
    this.f = f;
    this.d = d;
    this.off = off;
  }

  public static Mat zeros(DataType dtype, int rows, int cols) {
    int n = rows * cols;
    if (dtype == DataType.FLOAT) return new Mat(rows, cols, new float[n], null, 0);
    if (dtype == DataType.DOUBLE) return new Mat(rows, cols, null, new double[n], 0);
    throw PalException.internal("Mat supports FLOAT and DOUBLE, got " + dtype);
  }

  /** A row-major view of {@code rows x cols} elements of {@code base} starting at element {@code start}. */
  public static Mat view(Mat base, long start, int rows, int cols) {
    if (start + (long) rows * cols > base.size()) throw PalException.internal("view past the end of its base");
    return new Mat(rows, cols, base.f, base.d, base.off + (int) start);
  }

  public DataType dtype() {
    return f != null ? DataType.FLOAT : DataType.DOUBLE;
  }

  public boolean isFloat() {
    return f != null;
  }

  /** Raw storage for hot loops (float matrices); index with {@link #offset()}. */
  public float[] floats() {
    return f;
  }

  public int offset() {
    return off;
  }

  /** this += alpha * src, element-wise (same size). */
  public void addScaled(Mat src, double alpha) {
    int n = size();
    if (f != null && src.f != null && off == src.off) {
      // one index expression for both arrays, so C2 vectorises
      float a = (float) alpha;
      float[] x = src.f;
      int hi = off + n;
      if (a == 1f) for (int i = off; i < hi; i++) f[i] += x[i];
      else for (int i = off; i < hi; i++) f[i] += a * x[i];
    } else if (f != null && src.f != null) {
      float a = (float) alpha;
      float[] x = src.f;
      int so = src.off;
      if (a == 1f) for (int i = 0; i < n; i++) f[off + i] += x[so + i];
      else for (int i = 0; i < n; i++) f[off + i] += a * x[so + i];
    } else {
      for (int i = 0; i < n; i++) add(i, alpha * src.get(i));
    }
  }

  public int size() {
    return rows * cols;
  }

  public double get(int i) {
    return f != null ? f[off + i] : d[off + i];
  }

  public double get(int r, int c) {
    return get(r * cols + c);
  }

  public void set(int i, double v) {
    if (f != null) f[off + i] = (float) v; else d[off + i] = v;
  }

  public void set(int r, int c, double v) {
    set(r * cols + c, v);
  }

  public void add(int i, double v) {
    if (f != null) f[off + i] += (float) v; else d[off + i] += v;
  }

  public void fill(double v) {
    if (f != null) java.util.Arrays.fill(f, off, off + size(), (float) v);
    else java.util.Arrays.fill(d, off, off + size(), v);
  }

  public void copyFrom(Mat src) {
    if (src.size() != size()) throw PalException.internal("copyFrom size " + src.size() + " != " + size());
    if (f != null && src.f != null) System.arraycopy(src.f, src.off, f, off, size());
    else if (d != null && src.d != null) System.arraycopy(src.d, src.off, d, off, size());
    else for (int i = 0; i < size(); i++) set(i, src.get(i));
  }

  /** Copies row {@code srcRow} of a heap table into row {@code dstRow}, starting at column {@code col}. */
  public void putRow(int dstRow, int col, float[] table, int srcRow, int width) {
    int base = off + dstRow * cols + col;
    if (f != null) {
      System.arraycopy(table, srcRow * width, f, base, width);
    } else {
      int s = srcRow * width;
      for (int j = 0; j < width; j++) d[base + j] = table[s + j];
    }
  }

  /** Copies row {@code srcRow} of {@code src} (same width and type) into row {@code dstRow}. */
  public void putRow(int dstRow, Mat src, int srcRow) {
    if (src.cols != cols) throw PalException.internal("putRow: " + src.cols + " columns into " + cols);
    if (f != null) System.arraycopy(src.f, src.off + srcRow * cols, f, off + dstRow * cols, cols);
    else System.arraycopy(src.d, src.off + srcRow * cols, d, off + dstRow * cols, cols);
  }

  public double[] toDoubleArray() {
    return toDoubleArray(new double[size()]);
  }

  /** The values written into {@code out} (of this size): a trainer's best-epoch copy reuses one array. */
  public double[] toDoubleArray(double[] out) {
    if (out.length != size()) throw PalException.internal("toDoubleArray into " + out.length + " values, matrix has " + size());
    if (f != null) {
      for (int i = 0; i < out.length; i++) out[i] = f[off + i];
    } else {
      System.arraycopy(d, off, out, 0, out.length);
    }
    return out;
  }

  public float[] toFloatArray() {
    float[] out = new float[size()];
    for (int i = 0; i < out.length; i++) out[i] = (float) get(i);
    return out;
  }
}
