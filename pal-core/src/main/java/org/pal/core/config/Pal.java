package org.pal.core.config;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.pal.core.spi.PalPlugin;

/**
 * Bootstrap: every {@link PalPlugin} on the class path (found by {@link ServiceLoader}) goes into
 * one Guice injector, which yields the one {@link ComponentRegistry}.
 */
public final class Pal {
  private final Injector injector;
  private final List<String> plugins;

  private Pal(List<PalPlugin> modules) {
    this.plugins = modules.stream().map(m -> m.getClass().getName()).toList();
    this.injector = Guice.createInjector(new ArrayList<Module>(modules));
  }

  /** All plugins on the class path, plus any given explicitly (tests, embedding applications). */
  public static Pal load(PalPlugin... extra) {
    List<PalPlugin> modules = new ArrayList<>();
    for (PalPlugin p : ServiceLoader.load(PalPlugin.class)) modules.add(p);
    for (PalPlugin p : extra) modules.add(p);
    return new Pal(modules);
  }

  public ComponentRegistry registry() {
    return injector.getInstance(ComponentRegistry.class);
  }

  public List<String> plugins() {
    return plugins;
  }
}
