package org.pal.core.spi;

import java.nio.file.Path;
import java.util.List;

/** An embedder that also maps images into the same space as its texts (CLIP-style). */
public interface ImageEmbedder extends Embedder {
  float[][] embedImages(List<Path> images);
}
