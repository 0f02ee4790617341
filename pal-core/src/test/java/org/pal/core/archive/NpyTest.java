package org.pal.core.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.PalException;

/**
 * The .npy format as numpy defines it (format 1.0: magic, version, little-endian header length, a
 * dict padded with spaces and ended by a newline so the data starts on a 64-byte boundary), and every
 * way a file can be refused.
 */
class NpyTest {
  private static String header(byte[] b) {
    int len = (b[8] & 0xff) | (b[9] & 0xff) << 8;
    return new String(b, 10, len, StandardCharsets.US_ASCII);
  }

  @Test
  void headerIsPaddedToA64ByteBoundaryAndEndsWithANewline() {
    for (int rows = 1; rows <= 130; rows += 7) {
      for (String descr : new String[] {"<f4", "<f8", "<i4"}) {
        byte[] b = Npy.encode(rows, 3, descr, i -> i);
        String h = header(b);
        assertThat((10 + h.length()) % 64).as(descr + " " + rows + "x3").isZero();
        assertThat(h).endsWith("\n").startsWith("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + rows + ", 3), }");
        assertThat(h.substring(h.indexOf('}') + 1, h.length() - 1)).as("padding").matches(" *");
        assertThat(h.length() - h.indexOf('}') - 2).as("at most 63 spaces").isLessThan(64);
        int width = descr.equals("<f8") ? 8 : 4;
        assertThat(b.length).isEqualTo(10 + h.length() + rows * 3 * width);
      }
    }
    byte[] b = Npy.encode(1, 1, "<f4", i -> 1);
    assertThat(b[0] & 0xff).isEqualTo(0x93);
    assertThat(new String(b, 1, 5, StandardCharsets.US_ASCII)).isEqualTo("NUMPY");
    assertThat(b[6]).isEqualTo((byte) 1);
    assertThat(b[7]).isEqualTo((byte) 0);
    assertThatThrownBy(() -> Npy.encode(1, 1, ">f4", i -> 0)).isInstanceOf(PalException.class).hasMessageContaining(">f4");
  }

  @Test
  void valuesAreLittleEndianAndRoundTrip(@TempDir Path dir) {
    Npy.writeFloats(dir.resolve("f.npy"), 2, 2, new float[] {1.5f, -2f, 3.25f, 0f});
    Npy.writeDoubles(dir.resolve("d.npy"), 1, 3, new double[] {Math.PI, -1e300, 4.9e-324});
    Npy.writeInts(dir.resolve("i.npy"), 3, 1, new int[] {7, -8, Integer.MAX_VALUE});
    Npy.Array f = Npy.read(dir.resolve("f.npy")), d = Npy.read(dir.resolve("d.npy")), i = Npy.read(dir.resolve("i.npy"));
    assertThat(f.rows()).isEqualTo(2);
    assertThat(f.cols()).isEqualTo(2);
    assertThat(f.dtype()).isEqualTo("<f4");
    assertThat(f.toFloats()).containsExactly(1.5f, -2f, 3.25f, 0f);
    assertThat(d.values()).containsExactly(Math.PI, -1e300, 4.9e-324);
    assertThat(i.toInts()).containsExactly(7, -8, Integer.MAX_VALUE);
    assertThat(i.cols()).isEqualTo(1);
    byte[] raw = Npy.encode(1, 1, "<f4", k -> 1.0);
    assertThat(ByteBuffer.wrap(raw, raw.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat()).isEqualTo(1.0f);
  }

  /** A file as numpy might write it: any header dict, version 1 or 2, then the data bytes. */
  private static Path write(Path dir, String name, int major, String dict, byte[] data) throws Exception {
    byte[] h = (dict + "\n").getBytes(StandardCharsets.US_ASCII);
    int lenBytes = major == 1 ? 2 : 4;
    ByteBuffer b = ByteBuffer.allocate(8 + lenBytes + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) major).put((byte) 0);
    if (major == 1) b.putShort((short) h.length); else b.putInt(h.length);
    b.put(h).put(data);
    Path p = dir.resolve(name);
    Files.write(p, b.array());
    return p;
  }

  private static byte[] longs(long... v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long x : v) b.putLong(x);
    return b.array();
  }

  @Test
  void readsWhatNumpyWrites(@TempDir Path dir) throws Exception {
    // version 2.0 (4-byte header length), a 1-D int64 array, no padding, spaces numpy puts differently
    Npy.Array a = Npy.read(write(dir, "v2.npy", 2, "{'descr':'<i8','fortran_order':False,'shape':(3,)}", longs(5, -6, 1L << 40)));
    assertThat(a.rows()).isEqualTo(3);
    assertThat(a.cols()).isEqualTo(1);
    assertThat(a.values()).containsExactly(5, -6, 1L << 40);
    Npy.Array b = Npy.read(write(dir, "v1.npy", 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2), }", longs(1, 2)));
    assertThat(b.rows()).isEqualTo(1);
    assertThat(b.cols()).isEqualTo(2);
  }

  @Test
  void everyBadFileIsRefusedWithItsReason(@TempDir Path dir) throws Exception {
    String ok = "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }";
    assertThatThrownBy(() -> Npy.read(dir.resolve("missing.npy"))).hasMessageContaining("does not exist");
    Files.write(dir.resolve("short.npy"), new byte[] {(byte) 0x93, 'N', 'U'});
    assertThatThrownBy(() -> Npy.read(dir.resolve("short.npy"))).hasMessageContaining("bad magic");
    Path magic = write(dir, "magic.npy", 1, ok, longs(1, 2));
    byte[] m = Files.readAllBytes(magic);
    m[0] = 0x00;
    Files.write(magic, m);
    assertThatThrownBy(() -> Npy.read(magic)).hasMessageContaining("bad magic");
    m[0] = (byte) 0x93;
    m[3] = 'X';
    Files.write(magic, m);
    assertThatThrownBy(() -> Npy.read(magic)).hasMessageContaining("bad magic");
    Path cut = write(dir, "cut.npy", 1, ok, new byte[0]);
    Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(cut), 30));
    assertThatThrownBy(() -> Npy.read(cut)).hasMessageContaining("header runs past the end");
    assertThatThrownBy(() -> Npy.read(write(dir, "nodescr.npy", 1, "{'fortran_order': False, 'shape': (2,), }", longs(1, 2))))
        .hasMessageContaining("unreadable .npy header");
    assertThatThrownBy(() -> Npy.read(write(dir, "noorder.npy", 1, "{'descr': '<i8', 'shape': (2,), }", longs(1, 2))))
        .hasMessageContaining("unreadable .npy header");
    assertThatThrownBy(() -> Npy.read(write(dir, "noshape.npy", 1, "{'descr': '<i8', 'fortran_order': False, }", longs(1, 2))))
        .hasMessageContaining("unreadable .npy header");
    assertThatThrownBy(() -> Npy.read(write(dir, "fortran.npy", 1, ok.replace("False", "True"), longs(1, 2))))
        .hasMessageContaining("fortran_order").hasMessageContaining("C order");
    assertThatThrownBy(() -> Npy.read(write(dir, "3d.npy", 1, ok.replace("(2,)", "(1, 1, 2)"), longs(1, 2))))
        .hasMessageContaining("1-D or 2-D");
    assertThatThrownBy(() -> Npy.read(write(dir, "0d.npy", 1, ok.replace("(2,)", "()"), longs(1))))
        .hasMessageContaining("1-D or 2-D");
    assertThatThrownBy(() -> Npy.read(write(dir, "big.npy", 1, ok.replace("<i8", ">i8"), longs(1, 2))))
        .hasMessageContaining(">i8").hasMessageContaining("little-endian");
    assertThatThrownBy(() -> Npy.read(write(dir, "data.npy", 1, ok, longs(1))))
        .isInstanceOf(PalException.class).hasMessageContaining("expected 16 data bytes, found 8");
    assertThatThrownBy(() -> Npy.read(write(dir, "long.npy", 1, ok, longs(1, 2, 3))))
        .hasMessageContaining("expected 16 data bytes, found 24");
  }
}
