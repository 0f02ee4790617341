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
}
