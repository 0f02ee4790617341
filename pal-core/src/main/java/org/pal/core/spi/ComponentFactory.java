package org.pal.core.spi;

/** Builds a component from its validated spec (the JSON object minus "type") and the build context. */
@FunctionalInterface
public interface ComponentFactory<S, T> {
  T create(S spec, BuildContext context);
}
