package org.pal.core.train;

import org.pal.core.PalException;

/**
 * Few-shot enrolment of new users: only their K simplex logits are learned (everything else frozen),
 * on each user's first {@code pairs} comparisons, of which {@code validationShare} choose the epoch.
 */
public record AdaptSpec(Integer epochs, Double lr, Double validationShare, Integer patience, Integer batchSize) {
  public AdaptSpec {
    if (epochs == null) epochs = 300;
    if (lr == null) lr = 5e-2;
    if (validationShare == null) validationShare = 0.2;
    if (patience == null) patience = 50;
    if (batchSize == null) batchSize = 1024;
    if (epochs < 1) throw PalException.badInput("adapt.epochs", epochs, "must be at least 1");
    if (!(lr > 0)) throw PalException.badInput("adapt.lr", lr, "must be positive");
    if (!(validationShare >= 0 && validationShare < 1)) throw PalException.badInput("adapt.validationShare", validationShare, "must be in [0, 1)");
    if (batchSize < 1) throw PalException.badInput("adapt.batchSize", batchSize, "must be at least 1");
  }

  public static AdaptSpec defaults() {
    return new AdaptSpec(null, null, null, null, null);
  }
}
