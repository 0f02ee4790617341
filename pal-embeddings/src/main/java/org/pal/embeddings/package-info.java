/**
 * Frozen encoders (ONNX Runtime sentence transformers and CLIP) behind the
 * {@link org.pal.core.spi.Embedder} extension point. Not built yet: the engine trains on
 * precomputed embedding tables; the encoders are the next issue.
 */
package org.pal.embeddings;
