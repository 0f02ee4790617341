package org.pal.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pal.core.PalException;

/** Encoded images from a binary column, written to files named by their format so the image encoder can read them. */
final class ImageBytes {
  private ImageBytes() {}

  static Path write(byte[] bytes, Path dir, int index) throws IOException {
    if (bytes == null || bytes.length == 0) throw PalException.badInput("image bytes", bytes == null ? "missing" : "empty", "give an encoded image (PNG, JPEG, GIF or BMP)");
    Path f = dir.resolve("image-" + index + "." + extension(bytes));
    Files.write(f, bytes);
    return f;
  }

  /** The file extension of an encoded image, from its magic number. */
  static String extension(byte[] b) {
    if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') return "png";
    if (b.length >= 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8 && (b[2] & 0xff) == 0xFF) return "jpg";
    if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') return "gif";
    if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') return "bmp";
    throw PalException.badInput("image bytes", b.length + " bytes", "are not a PNG, JPEG, GIF or BMP image");
  }
}
