package org.pal.core.train;

/** What a training run did: epochs run, the epoch whose parameters were kept, and speed. */
public record TrainResult(int epochsRun, int bestEpoch, double bestValidationAccuracy, double finalTrainLoss,
                          double trainSeconds, double pairsPerSecond, boolean resumed) {}
