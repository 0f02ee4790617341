package org.pal.api;

/**
 * The answer to one {@link ScoreRequest}: the simplex weights used, each response's reward (higher is
 * preferred) in input order, and, for exactly two responses, the probability that the first is
 * preferred under the model's link (null otherwise).
 */
public record Scores(double[] weights, double[] rewards, Double preference) {}
