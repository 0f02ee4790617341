package org.pal.api;

/**
 * The paper's three accuracies on held-out pairs. {@code unseenFewShot} and {@code zeroShot} are null
 * when the dataset has no unseen users (absent, never NaN).
 */
public record Evaluation(double seen, Double unseenFewShot, Double zeroShot, int seenTestPairs, int unseenUsers,
                         int unseenTestPairs, int shots) {}
