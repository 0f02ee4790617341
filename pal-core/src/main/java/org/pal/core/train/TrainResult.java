package org.pal.core.train;

/**
 * What a training run did: epochs run, the epoch whose parameters were kept, speed, and the number of
 * data-parallel workers (threads) each mini-batch was split across (the run is bit-identical for it).
 */
public record TrainResult(int epochsRun, int bestEpoch, double bestValidationAccuracy, double finalTrainLoss,
                          double trainSeconds, double pairsPerSecond, boolean resumed, int threads) {
  public TrainResult(int epochsRun, int bestEpoch, double bestValidationAccuracy, double finalTrainLoss,
                     double trainSeconds, double pairsPerSecond, boolean resumed) {
    this(epochsRun, bestEpoch, bestValidationAccuracy, finalTrainLoss, trainSeconds, pairsPerSecond, resumed, 1);
  }
}
