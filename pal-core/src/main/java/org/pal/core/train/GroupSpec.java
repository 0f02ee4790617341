package org.pal.core.train;

import org.pal.core.PalException;

/** Optimizer settings of one parameter group. Weight decay is PyTorch Adam's (L2 added to the gradient). */
public record GroupSpec(Double lr, Double weightDecay) {
  public GroupSpec {
    if (lr == null) lr = 1e-3;
    if (weightDecay == null) weightDecay = 0.0;
    if (!(lr > 0) || !Double.isFinite(lr)) throw PalException.badInput("lr", lr, "must be a positive number");
    if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) throw PalException.badInput("weightDecay", weightDecay, "must be >= 0");
  }
}
