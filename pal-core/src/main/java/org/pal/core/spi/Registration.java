package org.pal.core.spi;

/**
 * One registered implementation: the JSON {@code "type"} name, the spec class its config binds to,
 * and the factory. Plugins create these through {@link PalPlugin#register}.
 */
public record Registration<S, T>(
    ExtensionPoint<T> point, String name, Class<S> specClass, ComponentFactory<S, ? extends T> factory, String description) {
  public Registration {
    if (!name.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
      throw new IllegalArgumentException("plugin type names are kebab-case, got '" + name + "'");
    }
  }

  /** Convenience for factories that do not need the spec's static type. */
  @SuppressWarnings("unchecked")
  public T build(Object spec, BuildContext context) {
    return factory.create((S) spec, context);
  }
}
