package org.pal.core.archive;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pal.core.PalException;

/**
 * NumPy {@code .npy} files (C order, little-endian): float32 and float64 matrices and int32/int64
 * tables, so that numpy users can {@code np.load} what PAL writes and PAL can read theirs.
 *
 * <p>Reading trusts nothing in a file: the header is parsed strictly, its shape is checked against
 * the file's length before anything is allocated (a header claiming 10^11 rows or a device file is an
 * error, not an allocation), and values are read in their own type (float32 stays float32, a
 * quarter of the heap a widened copy would take). {@link #openRows} maps a file and reads only the
 * rows asked for. Writing refuses non-finite floats: no output of PAL carries NaN or infinity.
 */
public final class Npy {
  /** Longest header accepted (numpy writes under 100 bytes; a version-2 length of 4 GB is hostile). */
  public static final int MAX_HEADER = 1 << 16;
  /** Most elements one heap array can hold. */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private Npy() {}

  /** The parsed header: dtype, shape (a 1-D array is n x 1) and where the data start. */
  public record Header(String descr, long rows, long cols, long dataOffset) {
    public int width() {
      return descr.endsWith("8") ? 8 : 4;
    }

    public boolean isFloat() {
      return descr.charAt(1) == 'f';
    }

    public long count() {
      return rows * cols;
    }
  }

  public record FloatMatrix(int rows, int cols, float[] values) {}

  public record IntMatrix(int rows, int cols, int[] values) {}

  public record DoubleMatrix(int rows, int cols, double[] values) {}

  /** A 2-D array widened to double (ints exactly): for small arrays and tests. */
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

  // ---------------------------------------------------------------- writing

  public static byte[] encode(int rows, int cols, String descr, java.util.function.IntToDoubleFunction value) {
    int width = switch (descr) { case "<f4", "<i4" -> 4; case "<f8" -> 8; default -> throw PalException.internal("npy dtype " + descr); };
    if (rows < 0 || cols < 0) throw PalException.internal("npy shape " + rows + "x" + cols);
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
    int headerLen = dict.length() + 1;
    int pad = (64 - (10 + headerLen) % 64) % 64;
    StringBuilder h = new StringBuilder(dict);
    for (int i = 0; i < pad; i++) h.append(' ');
    h.append('\n');
    byte[] header = h.toString().getBytes(StandardCharsets.US_ASCII);
    long n = (long) rows * cols;
    long total = 10 + header.length + n * width;
    if (total > Integer.MAX_VALUE - 8) throw PalException.internal("array of " + n + " values is too large for one .npy buffer");
    ByteBuffer b = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
    b.putShort((short) header.length).put(header);
    for (int i = 0; i < n; i++) {
      double v = value.applyAsDouble(i);
      switch (descr) {
        case "<f4" -> b.putFloat(finite((float) v, i));
        case "<f8" -> b.putDouble(finite(v, i));
        default -> b.putInt((int) v);
      }
    }
    return b.array();
  }

  private static float finite(float v, int i) {
    if (!Float.isFinite(v)) throw PalException.internal("refusing to write the non-finite value " + v + " at index " + i + " of an array");
    return v;
  }

  private static double finite(double v, int i) {
    if (!Double.isFinite(v)) throw PalException.internal("refusing to write the non-finite value " + v + " at index " + i + " of an array");
    return v;
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

  // ---------------------------------------------------------------- header

  private static final Pattern DICT = Pattern.compile(
      "\\{\\s*(?:'(descr|fortran_order|shape)'\\s*:\\s*('[^']*'|True|False|\\([^()]*\\))\\s*,?\\s*){3}\\}\\s*");
  private static final Pattern ENTRY = Pattern.compile("'(descr|fortran_order|shape)'\\s*:\\s*('[^']*'|True|False|\\([^()]*\\))");
  private static final Pattern DIM = Pattern.compile("\\s*(\\d{1,18})\\s*");

  /**
   * Parses and checks the preamble and header at the start of a file of {@code fileLength} bytes;
   * {@code head} holds at least the file's first bytes up to {@code min(fileLength, 12 + MAX_HEADER)}.
   */
  public static Header parseHeader(ByteBuffer head, long fileLength, Object file) {
    ByteBuffer b = head.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int avail = b.remaining();
    int base = b.position();
    if (avail < 10 || (b.get(base) & 0xff) != 0x93 || b.get(base + 1) != 'N' || b.get(base + 2) != 'U' || b.get(base + 3) != 'M'
        || b.get(base + 4) != 'P' || b.get(base + 5) != 'Y') {
      throw bad(file, "is not a .npy file (bad magic); write it with numpy.save");
    }
    int major = b.get(base + 6);
    long headerLen;
    int start;
    if (major == 1) {
      headerLen = b.getShort(base + 8) & 0xffff;
      start = 10;
    } else if (major == 2 || major == 3) {
      if (avail < 12) throw bad(file, "is truncated (no header length)");
      headerLen = b.getInt(base + 8) & 0xffffffffL;
      start = 12;
    } else {
      throw bad(file, "has .npy format version " + major + "; versions 1 to 3 are read");
    }
    if (headerLen > MAX_HEADER) throw bad(file, "declares a header of " + headerLen + " bytes; at most " + MAX_HEADER + " are accepted");
    if (start + headerLen > fileLength || start + headerLen > avail) throw bad(file, "is truncated (the header runs past the end)");
    byte[] hb = new byte[(int) headerLen];
    b.position(base + start);
    b.get(hb);
    for (byte x : hb) if (x < 0x09 || x > 0x7e) throw bad(file, "has a header that is not plain ASCII");
    String header = new String(hb, StandardCharsets.US_ASCII).strip();
    if (!DICT.matcher(header).matches()) throw bad(file, "has an unreadable .npy header (expected descr, fortran_order and shape)");
    String descr = null, fortran = null, shape = null;
    Matcher m = ENTRY.matcher(header);
    while (m.find()) {
      String key = m.group(1), value = m.group(2);
      String prev = switch (key) {
        case "descr" -> { String p = descr; descr = value; yield p; }
        case "fortran_order" -> { String p = fortran; fortran = value; yield p; }
        default -> { String p = shape; shape = value; yield p; }
      };
      if (prev != null) throw bad(file, "repeats '" + key + "' in its header");
    }
    if (descr == null || fortran == null || shape == null) throw bad(file, "has an unreadable .npy header (expected descr, fortran_order and shape)");
    descr = descr.length() >= 2 ? descr.substring(1, descr.length() - 1) : descr;
    if (!descr.equals("<f4") && !descr.equals("<f8") && !descr.equals("<i4") && !descr.equals("<i8")) {
      throw PalException.badInput(file + " dtype", "'" + descr + "'", "supported: float32, float64, int32, int64 (little-endian)");
    }
    if (fortran.equals("True")) throw PalException.badInput(file + " fortran_order", "True", "save with C order (numpy.ascontiguousarray)");
    if (!fortran.equals("False")) throw bad(file, "has fortran_order " + fortran + "; expected True or False");
    String inner = shape.substring(1, shape.length() - 1);
    List<Long> dims = new ArrayList<>();
    String[] parts = inner.split(",", -1);
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].isBlank() && i == parts.length - 1 && i > 0) break; // trailing comma: (n,)
      Matcher dm = DIM.matcher(parts[i]);
      if (!dm.matches()) throw PalException.badInput(file + " shape", "(" + inner + ")", "every dimension must be a non-negative whole number");
      dims.add(Long.parseLong(dm.group(1)));
    }
    long rows, cols;
    if (dims.size() == 1) { rows = dims.get(0); cols = 1; }
    else if (dims.size() == 2) { rows = dims.get(0); cols = dims.get(1); }
    else throw PalException.badInput(file + " shape", "(" + inner + ")", "expected a 1-D or 2-D array");
    Header h = new Header(descr, rows, cols, start + headerLen);
    long data = fileLength - h.dataOffset();
    long need;
    try {
      need = Math.multiplyExact(Math.multiplyExact(rows, cols), (long) h.width());
    } catch (ArithmeticException e) {
      throw bad(file, "declares shape (" + rows + ", " + cols + "), far more than its " + fileLength + " bytes hold");
    }
    if (need != data) throw bad(file, "is truncated or corrupt: its shape (" + rows + ", " + cols + ") needs " + need + " data bytes, the file has " + data);
    if (rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE) throw bad(file, "has " + rows + " x " + cols + " values; at most 2^31-1 per dimension are supported");
    return h;
  }

  private static PalException bad(Object file, String what) {
    return PalException.badInput("file", file, what);
  }

  // ---------------------------------------------------------------- reading

  /** An open .npy file with a checked header. */
  private static final class Source implements AutoCloseable {
    final FileChannel channel;
    final Header header;
    final Path file;

    Source(Path file) {
      long size = InputFiles.requireFile(file);
      this.file = file;
      try {
        channel = FileChannel.open(file, StandardOpenOption.READ);
      } catch (IOException e) {
        throw PalException.environment("cannot read " + file + ": " + e.getMessage(), e);
      }
      try {
        ByteBuffer head = ByteBuffer.allocate((int) Math.min(size, 12 + MAX_HEADER));
        while (head.hasRemaining() && channel.read(head) >= 0) { /* fill */ }
        head.flip();
        header = parseHeader(head, size, file);
      } catch (IOException e) {
        close();
        throw PalException.environment("cannot read " + file + ": " + e.getMessage(), e);
      } catch (RuntimeException e) {
        close();
        throw e;
      }
    }

    /** The element count, once it is clear that an array of {@code bytesEach}-byte elements fits in this JVM. */
    int elements(int bytesEach) {
      if (header.count() > MAX_ELEMENTS) throw bad(file, "has " + header.count() + " values; at most " + MAX_ELEMENTS + " fit in one array (read it by rows)");
      Runtime rt = Runtime.getRuntime();
      long need = header.count() * bytesEach, free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
      if (need > free) throw tooBig(need);
      return (int) header.count();
    }

    PalException tooBig(long need) {
      return PalException.environment(file + " needs " + (need >> 20) + " MiB of heap to load whole, this JVM has "
          + (Runtime.getRuntime().maxMemory() >> 20) + " MiB in all; raise -Xmx", null);
    }

    /** Streams the data in blocks: never the whole file and its decoded copy at once. */
    void forEachBlock(java.util.function.Consumer<ByteBuffer> block) {
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(1 << 20, Math.max(8, header.count() * header.width()))).order(ByteOrder.LITTLE_ENDIAN);
      long pos = header.dataOffset(), end = pos + header.count() * header.width();
      try {
        while (pos < end) {
          buf.clear();
          buf.limit((int) Math.min(buf.capacity(), end - pos));
          while (buf.hasRemaining()) {
            int r = channel.read(buf, pos + buf.position());
            if (r < 0) throw bad(file, "shrank while being read");
          }
          buf.flip();
          pos += buf.remaining();
          block.accept(buf);
        }
      } catch (IOException e) {
        throw PalException.environment("cannot read " + file + ": " + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // read-only: nothing to lose
      }
    }
  }

  /** Reads just the header (shape and dtype) of a file. */
  public static Header header(Path file) {
    try (Source s = new Source(file)) {
      return s.header;
    }
  }

  /** A float matrix: float32 as is, float64 narrowed (a value beyond float range is an error). */
  public static FloatMatrix readFloats(Path file) {
    try (Source s = new Source(file)) {
      if (!s.header.isFloat()) throw PalException.badInput(file + " dtype", "'" + s.header.descr() + "'", "expected float32 or float64 vectors");
      float[] v;
      try {
        v = new float[s.elements(4)];
      } catch (OutOfMemoryError e) {
        throw s.tooBig(s.header.count() * 4);
      }
      int[] at = {0};
      boolean f4 = s.header.width() == 4;
      s.forEachBlock(b -> {
        if (f4) { while (b.remaining() >= 4) v[at[0]++] = b.getFloat(); }
        else {
          while (b.remaining() >= 8) {
            double d = b.getDouble();
            float f = (float) d;
            if (Double.isFinite(d) && !Float.isFinite(f)) throw PalException.badInput(file + " value " + at[0], d, "is beyond float32 range");
            v[at[0]++] = f;
          }
        }
      });
      return new FloatMatrix((int) s.header.rows(), (int) s.header.cols(), v);
    }
  }

  /** A float64 matrix (float32 widened exactly). */
  public static DoubleMatrix readDoubles(Path file) {
    try (Source s = new Source(file)) {
      if (!s.header.isFloat()) throw PalException.badInput(file + " dtype", "'" + s.header.descr() + "'", "expected float32 or float64 values");
      double[] v;
      try {
        v = new double[s.elements(8)];
      } catch (OutOfMemoryError e) {
        throw s.tooBig(s.header.count() * 8);
      }
      int[] at = {0};
      boolean f4 = s.header.width() == 4;
      s.forEachBlock(b -> {
        if (f4) { while (b.remaining() >= 4) v[at[0]++] = b.getFloat(); }
        else { while (b.remaining() >= 8) v[at[0]++] = b.getDouble(); }
      });
      return new DoubleMatrix((int) s.header.rows(), (int) s.header.cols(), v);
    }
  }

  /** An int table: int32 as is, int64 when every value fits in 32 bits. */
  public static IntMatrix readInts(Path file) {
    try (Source s = new Source(file)) {
      if (s.header.isFloat()) throw PalException.badInput(file + " dtype", "'" + s.header.descr() + "'", "expected int32 or int64 values");
      int[] v;
      try {
        v = new int[s.elements(4)];
      } catch (OutOfMemoryError e) {
        throw s.tooBig(s.header.count() * 4);
      }
      int[] at = {0};
      boolean i4 = s.header.width() == 4;
      s.forEachBlock(b -> {
        if (i4) { while (b.remaining() >= 4) v[at[0]++] = b.getInt(); }
        else {
          while (b.remaining() >= 8) {
            long x = b.getLong();
            if (x != (int) x) throw PalException.badInput(file + " value " + at[0], x, "does not fit in 32 bits");
            v[at[0]++] = (int) x;
          }
        }
      });
      return new IntMatrix((int) s.header.rows(), (int) s.header.cols(), v);
    }
  }

  /** Any supported dtype, widened to double. */
  public static Array read(Path file) {
    Header h = header(file);
    if (h.isFloat()) {
      DoubleMatrix d = readDoubles(file);
      return new Array(d.rows(), d.cols(), h.descr(), d.values());
    }
    try (Source s = new Source(file)) {
      double[] v;
      try {
        v = new double[s.elements(8)];
      } catch (OutOfMemoryError e) {
        throw s.tooBig(s.header.count() * 8);
      }
      int[] at = {0};
      boolean i4 = s.header.width() == 4;
      s.forEachBlock(b -> {
        if (i4) { while (b.remaining() >= 4) v[at[0]++] = b.getInt(); }
        else { while (b.remaining() >= 8) v[at[0]++] = b.getLong(); }
      });
      return new Array((int) h.rows(), (int) h.cols(), h.descr(), v);
    }
  }

  /**
   * Row access to a float .npy file through memory maps: only the rows read are touched, so a
   * vector file larger than the heap can serve a few referenced rows.
   */
  public static Rows openRows(Path file) {
    return new Rows(new Source(file));
  }

  public static final class Rows implements AutoCloseable {
    private static final long SEGMENT = 1L << 30;
    private final Source source;
    private final MappedByteBuffer[] segments;
    private final long rowsPerSegment;
    private final int rowBytes;

    private Rows(Source s) {
      this.source = s;
      try {
        if (!s.header.isFloat()) throw PalException.badInput(s.file + " dtype", "'" + s.header.descr() + "'", "expected float32 or float64 vectors");
        if (s.header.cols() < 1) throw PalException.badInput(s.file + " shape", "(" + s.header.rows() + ", 0)", "vectors need at least one value");
        rowBytes = Math.toIntExact(s.header.cols() * s.header.width());
        rowsPerSegment = Math.max(1, SEGMENT / rowBytes);
        int n = (int) ((s.header.rows() + rowsPerSegment - 1) / rowsPerSegment);
        segments = new MappedByteBuffer[n];
      } catch (RuntimeException e) {
        s.close();
        throw e;
      }
    }

    public int rows() {
      return (int) source.header.rows();
    }

    public int cols() {
      return (int) source.header.cols();
    }

    public Path file() {
      return source.file;
    }

    /** Row {@code r} as float32 (float64 narrowed); the caller checks the row index. */
    public synchronized float[] row(int r) {
      if (r < 0 || r >= rows()) throw PalException.badInput(source.file + " row", r, "must be in 0.." + (rows() - 1));
      int seg = (int) (r / rowsPerSegment);
      MappedByteBuffer m = segments[seg];
      if (m == null) {
        long from = source.header.dataOffset() + seg * rowsPerSegment * rowBytes;
        long len = Math.min(rowsPerSegment, source.header.rows() - seg * rowsPerSegment) * rowBytes;
        try {
          m = source.channel.map(FileChannel.MapMode.READ_ONLY, from, len);
        } catch (IOException e) {
          throw PalException.environment("cannot map " + source.file + ": " + e.getMessage(), e);
        }
        m.order(ByteOrder.LITTLE_ENDIAN);
        segments[seg] = m;
      }
      int off = (int) ((r - seg * rowsPerSegment) * rowBytes);
      float[] out = new float[cols()];
      if (source.header.width() == 4) {
        for (int j = 0; j < out.length; j++) out[j] = m.getFloat(off + 4 * j);
      } else {
        for (int j = 0; j < out.length; j++) out[j] = (float) m.getDouble(off + 8 * j);
      }
      return out;
    }

    @Override
    public void close() {
      source.close();
    }
  }
}
