package org.pal.core.archive;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pal.core.PalException;

/**
 * NumPy {@code .npy} files (format 1.0, C order, little-endian): float32 and float64 matrices and
 * int32 tables, so that numpy users can {@code np.load} what PAL writes and PAL can read theirs.
 */
public final class Npy {
  /** A 2-D array as read: shape and values widened to double (ints exactly). */
  public record Array(int rows, int cols, String dtype, double[] values) {
    public float[] toFloats() {
      float[] f = new float[values.length];
      for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
      return f;
    }

    public int[] toInts() {
      int[] a = new int[values.length];
      for (int i = 0; i < a.length; i++) a[i] = (int) values[i];
      return a;
    }
  }

  private Npy() {}

  public static byte[] encode(int rows, int cols, String descr, java.util.function.IntToDoubleFunction value) {
    int width = switch (descr) { case "<f4", "<i4" -> 4; case "<f8" -> 8; default -> throw PalException.internal("npy dtype " + descr); };
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
    int headerLen = dict.length() + 1;
    int pad = (64 - (10 + headerLen) % 64) % 64;
    StringBuilder h = new StringBuilder(dict);
    for (int i = 0; i < pad; i++) h.append(' ');
    h.append('\n');
    byte[] header = h.toString().getBytes(StandardCharsets.US_ASCII);
    long n = (long) rows * cols;
    ByteBuffer b = ByteBuffer.allocate((int) (10 + header.length + n * width)).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
    b.putShort((short) header.length).put(header);
    for (int i = 0; i < n; i++) {
      double v = value.applyAsDouble(i);
      switch (descr) {
        case "<f4" -> b.putFloat((float) v);
        case "<f8" -> b.putDouble(v);
        default -> b.putInt((int) v);
      }
    }
    return b.array();
  }

  public static void writeFloats(Path file, int rows, int cols, float[] data) {
    AtomicFiles.write(file, encode(rows, cols, "<f4", i -> data[i]));
  }

  public static void writeDoubles(Path file, int rows, int cols, double[] data) {
    AtomicFiles.write(file, encode(rows, cols, "<f8", i -> data[i]));
  }

  public static void writeInts(Path file, int rows, int cols, int[] data) {
    AtomicFiles.write(file, encode(rows, cols, "<i4", i -> data[i]));
  }

  private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

  public static Array read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw PalException.badInput("file", file, "does not exist");
    } catch (IOException e) {
      throw PalException.environment(file + ": cannot read: " + e.getMessage(), e);
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < 10 || (bytes[0] & 0xff) != 0x93 || !new String(bytes, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
      throw PalException.badInput("file", file, "is not a .npy file (bad magic); write it with numpy.save");
    }
    int major = bytes[6];
    int headerLen;
    int start;
    if (major == 1) { headerLen = b.getShort(8) & 0xffff; start = 10; }
    else { headerLen = b.getInt(8); start = 12; }
    if (start + headerLen > bytes.length) throw PalException.badInput("file", file, "is truncated (header runs past the end)");
    String header = new String(bytes, start, headerLen, StandardCharsets.US_ASCII);
    Matcher d = DESCR.matcher(header), f = FORTRAN.matcher(header), s = SHAPE.matcher(header);
    if (!d.find() || !f.find() || !s.find()) throw PalException.badInput("file", file, "has an unreadable .npy header");
    String descr = d.group(1);
    if (f.group(1).equals("True")) throw PalException.badInput(file + " fortran_order", "True", "save with C order (numpy.ascontiguousarray)");
    String[] dims = s.group(1).split(",");
    int rows, cols;
    java.util.List<Integer> ds = new java.util.ArrayList<>();
    for (String x : dims) if (!x.isBlank()) ds.add(Integer.parseInt(x.trim()));
    if (ds.size() == 1) { rows = ds.get(0); cols = 1; }
    else if (ds.size() == 2) { rows = ds.get(0); cols = ds.get(1); }
    else throw PalException.badInput(file + " shape", s.group(1), "expected a 1-D or 2-D array");
    int width = switch (descr) { case "<f4", "<i4" -> 4; case "<f8", "<i8" -> 8; default ->
        throw PalException.badInput(file + " dtype", descr, "supported: float32, float64, int32, int64 (little-endian)"); };
    long n = (long) rows * cols;
    int dataStart = start + headerLen;
    if (bytes.length - dataStart != n * width) {
      throw PalException.badInput("file", file, "is truncated or corrupt: expected " + n * width + " data bytes, found " + (bytes.length - dataStart));
    }
    double[] v = new double[(int) n];
    b.position(dataStart);
    for (int i = 0; i < n; i++) {
      v[i] = switch (descr) { case "<f4" -> b.getFloat(); case "<f8" -> b.getDouble(); case "<i4" -> b.getInt(); default -> b.getLong(); };
    }
    return new Array(rows, cols, descr, v);
  }
}
