package org.pal.cli;

import org.pal.core.data.SplitDataset;
import org.pal.core.spi.DatasetSource;
import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.PalPlugin;
import org.pal.datasets.SyntheticDataset;

/**
 * A third-party dataset plugin as a user would write one (its own services file in test resources):
 * the CLI must reach it from a JSON spec without any change.
 */
public final class ToyDatasetPlugin extends PalPlugin {
  public record Spec(Integer users, Integer pairs) {}

  @Override
  protected void configurePlugin() {
    register(ExtensionPoint.DATASET, "test-toy", Spec.class, (s, c) -> new Toy(s), "a tiny synthetic dataset from a test plugin");
  }

  static final class Toy implements DatasetSource {
    private final Spec spec;

    Toy(Spec spec) {
      this.spec = spec;
    }

    @Override
    public SplitDataset load(long seed) {
      return new SyntheticDataset(new SyntheticDataset.Spec(4, 2, spec.users(), spec.pairs(), null, 20, null, null, 4, 30)).load(seed);
    }
  }
}
