package org.pal.core.spi;

import com.fasterxml.jackson.databind.JsonNode;
import org.pal.core.data.SplitDataset;

/** Produces an index-based preference dataset together with its seen/unseen and pair splits. */
public interface DatasetSource {
  SplitDataset load(long seed);

  /**
   * The embedder config that turned this source's raw values (texts, images) into its item and
   * prompt tables, or null when the tables are vectors from the start (the synthetic study). A
   * model trained on this source records it, so it can later score raw inputs the same way.
   */
  default JsonNode encoder() {
    return null;
  }

  /** What loading saw, for people (e.g. records read and skipped); empty when there is nothing to say. */
  default java.util.Map<String, Object> report() {
    return java.util.Map.of();
  }
}
