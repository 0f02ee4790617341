package org.pal.embeddings;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.pal.core.PalException;

/**
 * CLIP's image preprocessing as Hugging Face's CLIPImageProcessor does it: RGB; resize so the
 * shortest side is {@code size} with PIL's bicubic filter (antialiased when shrinking, 8-bit
 * intermediate rounding, reproduced in integer arithmetic); center crop (offsets rounded down);
 * scale to [0, 1]; normalise by the model's mean and std; channels first.
 */
public final class ClipPreprocessor {
  private final int shortest;
  private final int cropH;
  private final int cropW;
  private final float[] mean;
  private final float[] std;

  public ClipPreprocessor(int shortest, int cropH, int cropW, float[] mean, float[] std) {
    this.shortest = shortest;
    this.cropH = cropH;
    this.cropW = cropW;
    this.mean = mean;
    this.std = std;
  }

  /** From a Hugging Face preprocessor_config.json. */
  public static ClipPreprocessor fromConfig(Path file) {
    JsonNode c = org.pal.core.config.Json.readTree(file);
    int resample = c.path("resample").asInt(3);
    if (resample != 3) throw PalException.badInput(file + " resample", resample, "only 3 (bicubic), CLIP's filter, is supported");
    JsonNode size = c.get("size");
    int shortest = size == null ? 224 : size.isInt() ? size.asInt() : size.path("shortest_edge").asInt(224);
    JsonNode crop = c.get("crop_size");
    int ch = crop == null ? shortest : crop.isInt() ? crop.asInt() : crop.path("height").asInt(shortest);
    int cw = crop == null ? shortest : crop.isInt() ? crop.asInt() : crop.path("width").asInt(shortest);
    float[] mean = floats(c.get("image_mean"), file, "image_mean");
    float[] std = floats(c.get("image_std"), file, "image_std");
    return new ClipPreprocessor(shortest, ch, cw, mean, std);
  }

  private static float[] floats(JsonNode n, Path file, String field) {
    if (n == null || !n.isArray() || n.size() != 3) throw PalException.badInput(file + " " + field, n, "expected 3 numbers (R, G, B)");
    return new float[] {(float) n.get(0).asDouble(), (float) n.get(1).asDouble(), (float) n.get(2).asDouble()};
  }

  public int cropHeight() { return cropH; }
  public int cropWidth() { return cropW; }

  public static BufferedImage read(Path file) {
    try {
      if (!Files.isRegularFile(file)) throw PalException.badInput("image", file, "does not exist");
      BufferedImage img = ImageIO.read(file.toFile());
      if (img == null) throw PalException.badInput("image", file, "cannot be decoded (supported: PNG, JPEG, BMP, GIF); convert it or drop it");
      return img;
    } catch (IOException e) {
      throw PalException.badInput("image", file, "cannot be decoded (" + e.getMessage() + ")");
    }
  }

  /** 3 x cropH x cropW floats, channels first. */
  public float[] apply(BufferedImage img) {
    int w = img.getWidth(), h = img.getHeight();
    int[][] rgb = new int[3][w * h];
    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) {
      int p = img.getRGB(x, y);
      rgb[0][y * w + x] = (p >> 16) & 0xff;
      rgb[1][y * w + x] = (p >> 8) & 0xff;
      rgb[2][y * w + x] = p & 0xff;
    }
    int nw, nh;
    if (w <= h) { nw = shortest; nh = (int) ((long) shortest * h / w); } else { nh = shortest; nw = (int) ((long) shortest * w / h); }
    if (nw < cropW || nh < cropH) throw PalException.internal("resized image " + nw + "x" + nh + " smaller than the crop");
    int top = (nh - cropH) / 2, left = (nw - cropW) / 2;
    float[] out = new float[3 * cropH * cropW];
    for (int c = 0; c < 3; c++) {
      int[] plane = rgb[c];
      if (nw != w) plane = resample(plane, w, h, nw, true);
      if (nh != h) plane = resample(plane, nw, h, nh, false);
      for (int y = 0; y < cropH; y++) for (int x = 0; x < cropW; x++) {
        float v = plane[(top + y) * nw + (left + x)] / 255f;
        out[(c * cropH + y) * cropW + x] = (v - mean[c]) / std[c];
      }
    }
    return out;
  }

  private static final int PRECISION_BITS = 32 - 8 - 2;

  private static double bicubic(double x) {
    double a = -0.5;
    x = Math.abs(x);
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  }

  /** One pass of PIL's 8-bit resampling along rows (horizontal) or columns, from inSize to outSize. */
  static int[] resample(int[] src, int w, int h, int outSize, boolean horizontal) {
    int inSize = horizontal ? w : h;
    double scale = (double) inSize / outSize, filterscale = Math.max(scale, 1.0), support = 2.0 * filterscale;
    int ksize = (int) Math.ceil(support) * 2 + 1;
    int[] bounds = new int[outSize * 2];
    int[] kk = new int[outSize * ksize];
    for (int xx = 0; xx < outSize; xx++) {
      double center = (xx + 0.5) * scale, ww = 0, ss = 1.0 / filterscale;
      int xmin = (int) (center - support + 0.5);
      if (xmin < 0) xmin = 0;
      int xmax = (int) (center + support + 0.5);
      if (xmax > inSize) xmax = inSize;
      xmax -= xmin;
      double[] k = new double[xmax];
      for (int x = 0; x < xmax; x++) { k[x] = bicubic((x + xmin - center + 0.5) * ss); ww += k[x]; }
      for (int x = 0; x < xmax; x++) {
        double v = ww != 0 ? k[x] / ww : k[x];
        kk[xx * ksize + x] = (int) (v < 0 ? v * (1 << PRECISION_BITS) - 0.5 : v * (1 << PRECISION_BITS) + 0.5);
      }
      bounds[xx * 2] = xmin;
      bounds[xx * 2 + 1] = xmax;
    }
    int ow = horizontal ? outSize : w, oh = horizontal ? h : outSize;
    int[] dst = new int[ow * oh];
    for (int y = 0; y < oh; y++) for (int x = 0; x < ow; x++) {
      int o = horizontal ? x : y;
      int xmin = bounds[o * 2], xmax = bounds[o * 2 + 1];
      int ss = 1 << (PRECISION_BITS - 1);
      for (int t = 0; t < xmax; t++) {
        int p = horizontal ? src[y * w + xmin + t] : src[(xmin + t) * w + x];
        ss += p * kk[o * ksize + t];
      }
      int v = ss >> PRECISION_BITS;
      dst[y * ow + x] = v < 0 ? 0 : Math.min(v, 255);
    }
    return dst;
  }
}
