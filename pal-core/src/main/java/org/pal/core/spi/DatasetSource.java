package org.pal.core.spi;

import org.pal.core.data.SplitDataset;

/** Produces an index-based preference dataset together with its seen/unseen and pair splits. */
public interface DatasetSource {
  SplitDataset load(long seed);
}
