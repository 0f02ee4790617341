package org.pal.core.spi;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.Multibinder;

/**
 * Base class of every plugin: a Guice module, listed in
 * {@code META-INF/services/org.pal.core.spi.PalPlugin}, whose {@link #configurePlugin} calls
 * {@link #register} once per implementation. The built-in models register exactly this way.
 */
public abstract class PalPlugin extends AbstractModule {
  private Multibinder<Registration<?, ?>> registrations;

  @Override
  protected final void configure() {
    registrations = Multibinder.newSetBinder(binder(), new com.google.inject.TypeLiteral<Registration<?, ?>>() {});
    configurePlugin();
  }

  /** Register this plugin's implementations here. */
  protected abstract void configurePlugin();

  /** One registration gives both the JSON type name and the factory. */
  protected final <S, T> void register(
      ExtensionPoint<T> point, String name, Class<S> specClass, ComponentFactory<S, ? extends T> factory, String description) {
    registrations.addBinding().toInstance(new Registration<>(point, name, specClass, factory, description));
  }
}
