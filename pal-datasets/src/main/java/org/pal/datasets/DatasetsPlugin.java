package org.pal.datasets;

import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.PalPlugin;

/** Registers the built-in dataset sources. */
public final class DatasetsPlugin extends PalPlugin {
  @Override
  protected void configurePlugin() {
    register(ExtensionPoint.DATASET, "synthetic", SyntheticDataset.Spec.class, (s, c) -> new SyntheticDataset(s),
        "Section 4.1 synthetic study: linear f*, K* prototypes, mixture or partition users");
  }
}
