package org.pal.core.spi;

/**
 * A kind of thing a plugin can add (a model variant, a link function, ...). Identity is by name;
 * {@link #type} is the interface every implementation registered under this point implements.
 */
public record ExtensionPoint<T>(String name, Class<T> type, String description) {
  public static final ExtensionPoint<ModelVariant> MODEL =
      new ExtensionPoint<>("model", ModelVariant.class, "PAL model variants (reward = f(items, prompt, user weights))");
  public static final ExtensionPoint<Projector> PROJECTOR =
      new ExtensionPoint<>("projector", Projector.class, "learned maps from embeddings to the latent space (f, g_k)");
  public static final ExtensionPoint<LinkFunction> LINK =
      new ExtensionPoint<>("link", LinkFunction.class, "monotone links h: Pr(left preferred) = h(margin)");
  public static final ExtensionPoint<Loss> LOSS =
      new ExtensionPoint<>("loss", Loss.class, "training losses over signed margins");
  public static final ExtensionPoint<SimplexMap> SIMPLEX =
      new ExtensionPoint<>("simplex", SimplexMap.class, "maps from user logits to weights on the K-simplex");
  public static final ExtensionPoint<Embedder> EMBEDDER =
      new ExtensionPoint<>("embedder", Embedder.class, "frozen encoders from text or images to vectors");
  public static final ExtensionPoint<DatasetSource> DATASET =
      new ExtensionPoint<>("dataset", DatasetSource.class, "sources of preference datasets");

  public static java.util.List<ExtensionPoint<?>> builtIn() {
    return java.util.List.of(MODEL, PROJECTOR, LINK, LOSS, SIMPLEX, EMBEDDER, DATASET);
  }
}
