package org.pal.core.train;

/**
 * What a training run did: epochs run, the epoch whose parameters were kept, speed, the number of
 * threads (the run is bit-identical for it) and how they shared a step ({@code parallelism}: "batch",
 * each mini-batch split across them, or "branches", the model's branches side by side;
 * {@link DataParallel#parallelism}).
 */
public record TrainResult(int epochsRun, int bestEpoch, double bestValidationAccuracy, double finalTrainLoss,
                          double trainSeconds, double pairsPerSecond, boolean resumed, int threads, String parallelism) {}
