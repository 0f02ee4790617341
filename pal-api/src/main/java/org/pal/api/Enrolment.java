package org.pal.api;

import java.util.List;

/**
 * The result of enrolling users: the model with them added (or refitted), and per user the learned
 * weights, the number of comparisons used and the accuracy on their held-out validation share
 * (null when they gave fewer than 5 comparisons, which are all used for fitting).
 */
public record Enrolment(RewardModel model, List<EnrolledUser> users, double milliseconds) {
  public record EnrolledUser(String user, double[] weights, int comparisons, Double validationAccuracy) {}

  public EnrolledUser user(String id) {
    return users.stream().filter(u -> u.user().equals(id)).findFirst().orElseThrow(() ->
        org.pal.core.PalException.badInput("user", id, "was not enrolled in this call"));
  }
}
