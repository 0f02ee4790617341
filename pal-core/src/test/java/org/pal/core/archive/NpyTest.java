package org.pal.core.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.PalException;

/** Hostile .npy files are exit-2 errors checked before any allocation; big files are read by rows. */
class NpyTest {
  @TempDir Path dir;

  static byte[] file(int major, String header, int dataBytes) {
    byte[] h = header.getBytes(StandardCharsets.US_ASCII);
    int pre = major == 1 ? 10 : 12;
    ByteBuffer b = ByteBuffer.allocate(pre + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) major).put((byte) 0);
    if (major == 1) b.putShort((short) h.length); else b.putInt(h.length);
    b.put(h);
    return b.array();
  }

  private Path write(String name, byte[] bytes) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  private static void refused(Path p, String fragment) {
    assertThatThrownBy(() -> Npy.readFloats(p)).isInstanceOf(PalException.class).hasMessageContaining(fragment)
        .extracting(e -> ((PalException) e).kind()).isEqualTo(PalException.Kind.USER_INPUT);
  }

  @Test
  void hostileHeadersAreErrorsNotCrashes() throws Exception {
    refused(write("huge.npy", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 8), }\n", 64)), "needs");
    refused(write("overflow.npy", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999999999, 999999999999999999), }\n", 0)), "far more");
    refused(write("letters.npy", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2x, 8), }\n", 64)), "whole number");
    byte[] v2 = file(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }\n", 4);
    ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 0x7fffffff);
    refused(write("v2.npy", v2), "header of");
    refused(write("short.npy", new byte[] {(byte) 0x93, 'N', 'U'}), "bad magic");
    refused(write("dtype.npy", file(1, "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }\n", 16)), "dtype");
    refused(write("dup.npy", file(1, "{'descr': '<f4', 'descr': '<f4', 'shape': (1,), }\n", 4)), "header");
    assertThatThrownBy(() -> Npy.readFloats(Path.of("/dev/zero"))).isInstanceOf(PalException.class).hasMessageContaining("not a regular file");
    assertThatThrownBy(() -> Npy.readFloats(dir)).isInstanceOf(PalException.class).hasMessageContaining("is a directory");
  }

  @Test
  void float32IsReadAsFloat32AndRoundTrips() throws Exception {
    float[] v = {1.5f, -2f, 3.25f, 1e-30f, 7f, 8f};
    Npy.writeFloats(dir.resolve("a.npy"), 2, 3, v);
    Npy.FloatMatrix m = Npy.readFloats(dir.resolve("a.npy"));
    assertThat(m.rows()).isEqualTo(2);
    assertThat(m.values()).containsExactly(v);
    try (Npy.Rows r = Npy.openRows(dir.resolve("a.npy"))) {
      assertThat(r.row(1)).containsExactly(1e-30f, 7f, 8f);
    }
    assertThatThrownBy(() -> Npy.writeFloats(dir.resolve("nan.npy"), 1, 1, new float[] {Float.NaN})).isInstanceOf(PalException.class);
    assertThat(dir.resolve("nan.npy")).doesNotExist();
  }

  @Test
  void aVectorFileLargerThanTheHeapServesReferencedRowsThroughAMap() throws Exception {
    // 2^27 rows x 8 float32 = 4 GiB, sparse on disk: reading it whole would need more than this JVM's heap (-Xmx4g)
    long rows = 1L << 27;
    byte[] head = file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", 8), }" + " ".repeat(10) + "\n", 0);
    Path p = dir.resolve("big.npy");
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.write(head);
      f.setLength(head.length + rows * 32);
      f.seek(head.length + (rows - 1) * 32);
      for (int j = 0; j < 8; j++) f.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(j + 0.5f).array());
    }
    try (Npy.Rows r = Npy.openRows(p)) {
      assertThat(r.rows()).isEqualTo(rows);
      assertThat(r.row((int) rows - 1)).containsExactly(0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f);
      assertThat(r.row(0)).containsOnly(0f);
    }
    assertThatThrownBy(() -> Npy.readFloats(p)).isInstanceOf(PalException.class).hasMessageContaining("heap");
  }

  /** Raw data bytes of little-endian int64 or float64 values after a version-1 header. */
  private static byte[] longs(String descr, String shape, long... v) {
    String h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }\n";
    byte[] f = file(1, h, 8 * v.length);
    ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < v.length; i++) b.putLong(10 + h.length() + 8 * i, descr.equals("<f8") ? Double.doubleToLongBits(v[i]) : v[i]);
    return f;
  }

  @Test
  void writtenHeadersArePaddedTo64BytesAndEndInANewline() {
    for (int[] shape : new int[][] {{0, 0}, {1, 1}, {3, 2}, {123, 45}, {100000, 7}}) {
      for (String descr : new String[] {"<f4", "<f8", "<i4"}) {
        byte[] f = Npy.encode(shape[0], shape[1], descr, i -> i);
        int len = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).getShort(8);
        String what = descr + " " + shape[0] + "x" + shape[1];
        assertThat((10 + len) % 64).as(what).isZero();
        assertThat(f[10 + len - 1]).as(what).isEqualTo((byte) '\n');
        String header = new String(f, 10, len, StandardCharsets.US_ASCII);
        assertThat(header).as(what).startsWith("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape[0] + ", " + shape[1] + "), }");
        assertThat(header.substring(header.indexOf('}') + 1, len - 1)).as(what).matches(" *");
        assertThat(header.indexOf('}') + 1).as(what + ": padding is less than one 64-byte line").isGreaterThan(len - 1 - 64);
        int width = descr.equals("<f8") ? 8 : 4;
        assertThat(f).as(what).hasSize(10 + len + shape[0] * shape[1] * width);
        Npy.Header h = Npy.parseHeader(ByteBuffer.wrap(f), f.length, what);
        assertThat(h.dataOffset()).isEqualTo(10 + len);
        assertThat(h.rows()).isEqualTo(shape[0]);
        assertThat(h.cols()).isEqualTo(shape[1]);
      }
    }
  }

  @Test
  void versionTwoHeadersOneDimensionalShapesAndTabsInThePadding() throws Exception {
    // version 2: a 4-byte header length (numpy writes it for headers over 64 KiB)
    byte[] v2 = file(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }    \n", 8);
    ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN).putFloat(v2.length - 8, 1.5f).putFloat(v2.length - 4, -2f);
    Npy.FloatMatrix m = Npy.readFloats(write("v2ok.npy", v2));
    assertThat(m.values()).containsExactly(1.5f, -2f);
    assertThat(Npy.parseHeader(ByteBuffer.wrap(v2), v2.length, "v2").dataOffset()).isEqualTo(v2.length - 8);
    byte[] v2short = java.util.Arrays.copyOf(v2, 11);
    assertThatThrownBy(() -> Npy.parseHeader(ByteBuffer.wrap(v2short), 11, "short")).hasMessageContaining("no header length");
    // a trailing comma makes a 1-D shape; a tab in the padding is plain ASCII (0x09 is the lowest byte allowed)
    byte[] one = file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\t\n", 12);
    Npy.Header h = Npy.parseHeader(ByteBuffer.wrap(one), one.length, "one");
    assertThat(h.rows()).isEqualTo(3);
    assertThat(h.cols()).isEqualTo(1);
    refused(write("empty.npy", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", 0)), "non-negative whole number");
    // exactly the 10-byte preamble with an empty header: past the magic check, refused as unreadable
    byte[] bare = file(1, "", 0);
    assertThatThrownBy(() -> Npy.parseHeader(ByteBuffer.wrap(bare), bare.length, "bare")).hasMessageContaining("unreadable .npy header");
    assertThatThrownBy(() -> Npy.parseHeader(ByteBuffer.wrap(bare, 0, 9), 9, "nine")).hasMessageContaining("bad magic");
  }

  /** A float32 header of exactly {@code len} bytes (padded with spaces, ending in a newline) for shape (n,). */
  private static String paddedHeader(int n, int len) {
    StringBuilder h = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': (" + n + ",), }");
    while (h.length() < len - 1) h.append(' ');
    return h.append('\n').toString();
  }

  @Test
  void everyHeaderLimitHoldsAtItsBoundAndFailsOnePast() {
    // version 3 (UTF-8 header names) is read like version 2
    byte[] v3 = file(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", 4);
    assertThat(Npy.parseHeader(ByteBuffer.wrap(v3), v3.length, "v3").rows()).isEqualTo(1);
    // a version-2 file of exactly 12 bytes has its header length: what is missing is the header itself
    byte[] v2 = file(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", 4);
    assertThatThrownBy(() -> Npy.parseHeader(ByteBuffer.wrap(v2, 0, 12), 12, "twelve")).hasMessageContaining("header runs past the end");
    // a header of exactly MAX_HEADER bytes is accepted, one byte more is not
    byte[] max = file(2, paddedHeader(2, Npy.MAX_HEADER), 8);
    Npy.Header h = Npy.parseHeader(ByteBuffer.wrap(max), max.length, "max");
    assertThat(h.rows()).isEqualTo(2);
    assertThat(h.dataOffset()).isEqualTo(12 + Npy.MAX_HEADER);
    byte[] over = file(2, paddedHeader(2, Npy.MAX_HEADER + 1), 8);
    assertThatThrownBy(() -> Npy.parseHeader(ByteBuffer.wrap(over), over.length, "over"))
        .hasMessageContaining("declares a header of " + (Npy.MAX_HEADER + 1) + " bytes");
    // the header must end inside both the file's length and the bytes given: each bound on its own
    String okHeader = paddedHeader(1, 118);
    byte[] ok = file(1, okHeader, 4);
    int end = 10 + okHeader.length();
    assertThat(end).isEqualTo(128);
    assertThatThrownBy(() -> Npy.parseHeader(ByteBuffer.wrap(ok), end - 1, "short file")).hasMessageContaining("header runs past the end");
    assertThatThrownBy(() -> Npy.parseHeader(ByteBuffer.wrap(ok, 0, end - 1), ok.length, "short buffer")).hasMessageContaining("header runs past the end");
    assertThat(Npy.parseHeader(ByteBuffer.wrap(ok, 0, end), ok.length, "exact buffer").dataOffset()).isEqualTo(end);
    // 0x7e ('~') is the highest byte allowed: such a header is read (and its dtype refused); 0x7f is not ASCII text
    byte[] tilde = file(1, "{'descr': '<f~', 'fortran_order': False, 'shape': (1,), }\n", 4);
    assertThatThrownBy(() -> Npy.parseHeader(ByteBuffer.wrap(tilde), tilde.length, "tilde"))
        .hasMessageContaining("dtype").hasMessageNotContaining("ASCII");
    byte[] del = file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\u007f\n", 4);
    assertThatThrownBy(() -> Npy.parseHeader(ByteBuffer.wrap(del), del.length, "del")).hasMessageContaining("not plain ASCII");
    byte[] backspace = file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\u0008\n", 4);
    assertThatThrownBy(() -> Npy.parseHeader(ByteBuffer.wrap(backspace), backspace.length, "bs")).hasMessageContaining("not plain ASCII");
    // an empty descr ('') is named as it was written
    byte[] empty = file(1, "{'descr': '', 'fortran_order': False, 'shape': (1,), }\n", 4);
    assertThatThrownBy(() -> Npy.parseHeader(ByteBuffer.wrap(empty), empty.length, "e")).hasMessageContaining("dtype").hasMessageNotContaining("''''");
    // 2^31 - 1 rows or columns (of an empty array) are accepted, 2^31 are not
    for (String shape : new String[] {"(2147483647, 0)", "(0, 2147483647)"}) {
      byte[] edge = file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n", 0);
      Npy.Header e = Npy.parseHeader(ByteBuffer.wrap(edge), edge.length, shape);
      assertThat(e.rows() + e.cols()).as(shape).isEqualTo(Integer.MAX_VALUE);
    }
    for (String shape : new String[] {"(2147483648, 0)", "(0, 2147483648)"}) {
      byte[] edge = file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n", 0);
      assertThatThrownBy(() -> Npy.parseHeader(ByteBuffer.wrap(edge), edge.length, shape)).as(shape).hasMessageContaining("at most 2^31-1");
    }
  }

  @Test
  void otherWidthsAreConvertedOrRefusedValueByValue() throws Exception {
    // float64 read as floats: narrowed; a value beyond float32 range is named
    Path f8 = write("f8.npy", Npy.encode(1, 3, "<f8", i -> new double[] {0.1, -2.5, 1e30}[i]));
    assertThat(Npy.readFloats(f8).values()).containsExactly(0.1f, -2.5f, 1e30f);
    Path huge = write("huge.npy", Npy.encode(1, 2, "<f8", i -> i == 0 ? 1 : 1e300));
    assertThatThrownBy(() -> Npy.readFloats(huge)).hasMessageContaining("value 1").hasMessageContaining("beyond float32 range");
    // int64 read as ints and as doubles; one beyond 32 bits is named
    Path i8 = write("i8.npy", longs("<i8", "(2, 2)", 7, -3, 1L << 30, -(1L << 31)));
    assertThat(Npy.readInts(i8).values()).containsExactly(7, -3, 1 << 30, Integer.MIN_VALUE);
    Npy.Array a = Npy.read(i8);
    assertThat(a.values()).containsExactly(7, -3, 1 << 30, Integer.MIN_VALUE);
    assertThat(a.rows()).isEqualTo(2);
    assertThat(a.cols()).isEqualTo(2);
    Path wide = write("wide.npy", longs("<i8", "(2,)", 5, 1L << 40));
    assertThatThrownBy(() -> Npy.readInts(wide)).hasMessageContaining("value 1").hasMessageContaining("32 bits");
    assertThat(Npy.read(wide).values()).containsExactly(5, 1L << 40);
    Path i4 = write("i4.npy", Npy.encode(3, 1, "<i4", i -> 10 - i));
    assertThat(Npy.read(i4).values()).containsExactly(10, 9, 8);
    assertThat(Npy.read(i4).dtype()).isEqualTo("<i4");
    assertThatThrownBy(() -> Npy.readInts(f8)).hasMessageContaining("expected int32 or int64");
    assertThatThrownBy(() -> Npy.readFloats(i4)).hasMessageContaining("expected float32 or float64");
  }
}
