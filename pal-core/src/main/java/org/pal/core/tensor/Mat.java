package org.pal.core.tensor;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.pal.core.PalException;

/**
 * A dense row-major matrix in off-heap memory: an ND4J array (so BLAS gemm runs on it without a
 * copy) plus direct buffer access, so that element-wise kernels run as plain Java loops. ND4J's
 * per-op overhead (13-56 us, 46 us per allocation measured here) would otherwise dominate small
 * models. Float32 for training, float64 for gradient checks.
 */
public final class Mat {
  public final INDArray nd;
  public final int rows;
  public final int cols;
  private final FloatBuffer f;
  private final DoubleBuffer d;
  private final int off;

  public Mat(INDArray nd) {
    boolean contiguous = nd.rank() == 2 && nd.ordering() == 'c'
        && (nd.size(1) == 1 || nd.stride(1) == 1) && (nd.size(0) == 1 || nd.stride(0) == nd.size(1));
    if (!contiguous) {
      throw PalException.internal("Mat needs a contiguous row-major 2-D array, got shape "
          + java.util.Arrays.toString(nd.shape()) + " order " + nd.ordering());
    }
    this.nd = nd;
    this.rows = (int) nd.size(0);
    this.cols = (int) nd.size(1);
    this.off = (int) nd.offset();
    if (nd.dataType() == DataType.FLOAT) {
      this.f = nd.data().asNioFloat();
      this.d = null;
    } else if (nd.dataType() == DataType.DOUBLE) {
      this.f = null;
      this.d = nd.data().asNioDouble();
    } else {
      throw PalException.internal("Mat supports FLOAT and DOUBLE, got " + nd.dataType());
    }
  }

  public static Mat zeros(DataType dtype, int rows, int cols) {
    return new Mat(Nd4j.zeros(dtype, rows, cols));
  }

  public static Mat of(DataType dtype, int rows, int cols, double[] values) {
    Mat m = zeros(dtype, rows, cols);
    for (int i = 0; i < values.length; i++) m.set(i, values[i]);
    return m;
  }

  /** A row-major view of {@code rows x cols} elements of {@code base} starting at element {@code start}. */
  public static Mat view(Mat base, long start, int rows, int cols) {
    INDArray v = Nd4j.create(base.nd.data(), new long[] {rows, cols}, new long[] {cols, 1},
        base.off + start, 'c', base.nd.dataType());
    return new Mat(v);
  }

  public DataType dtype() {
    return nd.dataType();
  }

  public int size() {
    return rows * cols;
  }

  public double get(int i) {
    return f != null ? f.get(off + i) : d.get(off + i);
  }

  public double get(int r, int c) {
    return get(r * cols + c);
  }

  public void set(int i, double v) {
    if (f != null) f.put(off + i, (float) v); else d.put(off + i, v);
  }

  public void set(int r, int c, double v) {
    set(r * cols + c, v);
  }

  public void add(int i, double v) {
    if (f != null) f.put(off + i, f.get(off + i) + (float) v); else d.put(off + i, d.get(off + i) + v);
  }

  public void fill(double v) {
    int n = size();
    if (f != null) { float fv = (float) v; for (int i = 0; i < n; i++) f.put(off + i, fv); }
    else for (int i = 0; i < n; i++) d.put(off + i, v);
  }

  public void copyFrom(Mat src) {
    if (src.size() != size()) throw PalException.internal("copyFrom size " + src.size() + " != " + size());
    int n = size();
    for (int i = 0; i < n; i++) set(i, src.get(i));
  }

  /** Copies row {@code srcRow} of a heap table into row {@code dstRow}, starting at column {@code col}. */
  public void putRow(int dstRow, int col, float[] table, int srcRow, int width) {
    int base = off + dstRow * cols + col;
    int s = srcRow * width;
    if (f != null) {
      for (int j = 0; j < width; j++) f.put(base + j, table[s + j]);
    } else {
      for (int j = 0; j < width; j++) d.put(base + j, table[s + j]);
    }
  }

  public double[] toDoubleArray() {
    double[] out = new double[size()];
    for (int i = 0; i < out.length; i++) out[i] = get(i);
    return out;
  }

  public float[] toFloatArray() {
    float[] out = new float[size()];
    for (int i = 0; i < out.length; i++) out[i] = (float) get(i);
    return out;
  }
}
