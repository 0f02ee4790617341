package org.pal.cli;

import org.pal.datasets.SyntheticDataset;
import java.util.List;
import picocli.CommandLine.Option;

/** The synthetic study's knobs (Section 4.1 / Appendix C.1); defaults are the paper's. */
final class SyntheticOptions {
  @Option(names = "--dim", split = ",", description = "item dimension d; several values sweep it in 'experiment' (default ${DEFAULT-VALUE})", defaultValue = "16") List<Integer> dims;
  @Option(names = "--true-k", split = ",", description = "true number of prototypes K*; several values sweep it in 'experiment' (default ${DEFAULT-VALUE})", defaultValue = "3") List<Integer> trueKs;
  @Option(names = "--users", description = "seen users N (default ${DEFAULT-VALUE})", defaultValue = "100") int users;
  @Option(names = "--pairs", split = ",", description = "training pairs per seen user n; several values sweep it in 'experiment' (default ${DEFAULT-VALUE})", defaultValue = "100") List<Integer> pairsList;
  @Option(names = "--val-pairs", description = "validation pairs per seen user (default: pairs/5)") Integer valPairs;
  @Option(names = "--test-pairs", description = "held-out test pairs per user (default ${DEFAULT-VALUE})", defaultValue = "50") int testPairs;
  @Option(names = "--delta", description = "minimum prototype distance (default ${DEFAULT-VALUE})", defaultValue = "1") double delta;
  @Option(names = "--setting", description = "mixture | partition (default ${DEFAULT-VALUE})", defaultValue = "mixture") String setting;
  @Option(names = "--unseen-users", description = "unseen users (default ${DEFAULT-VALUE})", defaultValue = "30") int unseenUsers;
  @Option(names = "--unseen-pairs", description = "enrolment pairs per unseen user (default ${DEFAULT-VALUE})", defaultValue = "20") int unseenPairs;

  /** The one setting given (generate), failing when a list was given. */
  SyntheticDataset.Spec spec() {
    if (dims.size() != 1 || trueKs.size() != 1 || pairsList.size() != 1) {
      throw org.pal.core.PalException.userInput("--dim, --true-k and --pairs take one value here; lists are for 'pal experiment synthetic'");
    }
    return spec(dims.get(0), trueKs.get(0), pairsList.get(0));
  }

  SyntheticDataset.Spec spec(int dim, int trueK, int pairs) {
    return new SyntheticDataset.Spec(dim, trueK, users, pairs, valPairs, testPairs, delta, setting, unseenUsers, unseenPairs);
  }
}
