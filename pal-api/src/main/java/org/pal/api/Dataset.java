package org.pal.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.pal.core.data.SplitDataset;

/**
 * A dataset ready to train on: tables, comparisons and seeded splits, plus the encoder config that
 * made its tables from raw values (null for vector data) and where it came from (its JSON spec and
 * seed, or its directory), which a model trained on it records.
 */
public record Dataset(SplitDataset split, JsonNode encoder, JsonNode provenance) {
  public boolean hasPrompts() {
    return split.data().prompts() != null;
  }
}
