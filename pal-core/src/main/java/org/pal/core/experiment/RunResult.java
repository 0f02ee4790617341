package org.pal.core.experiment;

/** One trained and evaluated model of a sweep: the schema of results.json. Unseen and zero-shot are null without unseen users. */
public record RunResult(String model, int k, long seed, double seenAccuracy, Double unseenAccuracy, Double zeroShotAccuracy,
                        double trainSeconds, double pairsPerSecond, int epochsRun, int bestEpoch,
                        double bestValidationAccuracy, int trainPairs, int seenTestPairs, int unseenTestPairs,
                        java.util.Map<Integer, Double> unseenAccuracyByShots) {}
