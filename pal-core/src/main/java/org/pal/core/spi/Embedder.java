package org.pal.core.spi;

import java.util.List;

/** A frozen encoder from text to vectors. Implementations document whether they are thread-safe. */
public interface Embedder extends AutoCloseable {
  float[][] embed(List<String> texts);

  int dimension();

  /** Identifies weights and settings, so caches and archives can tell encoders apart. */
  String fingerprint();

  @Override
  void close();
}
