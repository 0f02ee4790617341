/** Frozen encoders behind the {@link org.pal.core.spi.Embedder} extension point: ONNX Runtime sentence transformers and the on-disk embedding cache. */
package org.pal.embeddings;
