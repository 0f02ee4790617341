package org.pal.datasets;

import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.PalPlugin;

/** Registers the built-in dataset sources. */
public final class DatasetsPlugin extends PalPlugin {
  @Override
  protected void configurePlugin() {
    register(ExtensionPoint.DATASET, "synthetic", SyntheticDataset.Spec.class, (s, c) -> new SyntheticDataset(s),
        "Section 4.1 synthetic study: linear f*, K* prototypes, mixture or partition users");
    register(ExtensionPoint.DATASET, "persona", PersonaDataset.Spec.class, (s, c) -> new PersonaDataset(s, c.registry()),
        "Section 4.2.1 Persona: users with one of K* Anthropic personas answer yes/no to statements");
    register(ExtensionPoint.DATASET, "tldr", TldrDataset.Spec.class, (s, c) -> new TldrDataset(s, c.registry()),
        "Reddit TL;DR comparisons with worker ids: the reference's semi-synthetic length variant or the real choices");
    register(ExtensionPoint.DATASET, "pick-a-pic", PickAPicDataset.Spec.class, (s, c) -> new PickAPicDataset(s, c.registry()),
        "Pick-a-Pic from local parquet files; beta > 0 builds Pick-a-Filter (two user groups, blue/red filters)");
    register(ExtensionPoint.DATASET, "records", RecordsDataset.Spec.class, (s, c) -> new RecordsDataset(s, c.registry()),
        "the generic record format: user_id, prompt, left/right/label or chosen/rejected, in JSONL, CSV or Parquet");
  }
}
