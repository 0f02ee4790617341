package org.pal.core.train;

/** Receives one report per epoch (the CLI prints them to stderr). */
@FunctionalInterface
public interface ProgressListener {
  void onEpoch(EpochReport report);

  ProgressListener NONE = r -> {};

  record EpochReport(int epoch, int epochs, double trainLoss, double validationAccuracy, double bestValidationAccuracy,
                     int bestEpoch, double pairsPerSecond, double secondsElapsed) {
    public String line() {
      double eta = epoch > 0 ? secondsElapsed / epoch * (epochs - epoch) : 0;
      return String.format(java.util.Locale.ROOT, "epoch %d/%d  loss %.4f  val-acc %.4f  best %.4f@%d  %.0f pairs/s  eta %.0fs",
          epoch, epochs, trainLoss, validationAccuracy, bestValidationAccuracy, bestEpoch, pairsPerSecond, eta);
    }
  }
}
