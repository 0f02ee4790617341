package org.pal.api;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.pal.core.PalException;

/**
 * A small PNG of an image input, as a {@code data:} URL: what a page shows for an {@code image:}
 * response. Inlined rather than served by path so that no route hands out files, and a page that
 * needs a bearer token gets the picture with the same authorised request as its numbers.
 */
public final class Thumbnails {
  private Thumbnails() {}

  /**
   * The image at {@code path} scaled to fit {@code maxPixels} on its longer side (never enlarged),
   * as {@code data:image/png;base64,...}; null when the file is not an image Java can read.
   */
  public static String dataUrl(Path path, int maxPixels) {
    if (maxPixels < 1) throw PalException.badInput("maxPixels", maxPixels, "must be at least 1");
    try {
      BufferedImage src = ImageIO.read(path.toFile());
      if (src == null) return null;
      double s = Math.min(1.0, maxPixels / (double) Math.max(src.getWidth(), src.getHeight()));
      int w = Math.max(1, (int) Math.round(src.getWidth() * s)), h = Math.max(1, (int) Math.round(src.getHeight() * s));
      BufferedImage dst = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
      Graphics2D g = dst.createGraphics();
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(src, 0, 0, w, h, null);
      g.dispose();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(dst, "png", out);
      return "data:image/png;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
    } catch (IOException | RuntimeException e) {
      return null; // unreadable or not an image: the page shows the path instead
    }
  }
}
