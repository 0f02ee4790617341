package org.pal.cli;

import org.pal.datasets.SyntheticDataset;
import picocli.CommandLine.Option;

/** The synthetic study's knobs (Section 4.1 / Appendix C.1); defaults are the paper's. */
final class SyntheticOptions {
  @Option(names = "--dim", description = "item dimension d (default ${DEFAULT-VALUE})", defaultValue = "16") int dim;
  @Option(names = "--true-k", description = "true number of prototypes K* (default ${DEFAULT-VALUE})", defaultValue = "3") int trueK;
  @Option(names = "--users", description = "seen users N (default ${DEFAULT-VALUE})", defaultValue = "100") int users;
  @Option(names = "--pairs", description = "training pairs per seen user n (default ${DEFAULT-VALUE})", defaultValue = "100") int pairs;
  @Option(names = "--val-pairs", description = "validation pairs per seen user (default: pairs/5)") Integer valPairs;
  @Option(names = "--test-pairs", description = "held-out test pairs per user (default ${DEFAULT-VALUE})", defaultValue = "50") int testPairs;
  @Option(names = "--delta", description = "minimum prototype distance (default ${DEFAULT-VALUE})", defaultValue = "1") double delta;
  @Option(names = "--setting", description = "mixture | partition (default ${DEFAULT-VALUE})", defaultValue = "mixture") String setting;
  @Option(names = "--unseen-users", description = "unseen users (default ${DEFAULT-VALUE})", defaultValue = "30") int unseenUsers;
  @Option(names = "--unseen-pairs", description = "enrolment pairs per unseen user (default ${DEFAULT-VALUE})", defaultValue = "20") int unseenPairs;

  SyntheticDataset.Spec spec() {
    return new SyntheticDataset.Spec(dim, trueK, users, pairs, valPairs, testPairs, delta, setting, unseenUsers, unseenPairs);
  }
}
