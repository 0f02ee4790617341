package org.pal.api;

import java.util.List;
import org.pal.core.PalException;

/** Rewards of several responses to one prompt (null for models without prompts) for one user. */
public record ScoreRequest(User user, Input prompt, List<Input> responses) {
  public ScoreRequest {
    if (user == null) throw PalException.badInput("user", "null", "give a user id, weights, or zero-shot");
    if (responses == null || responses.isEmpty()) throw PalException.badInput("responses", "[]", "give at least one response to score");
    responses = List.copyOf(responses);
  }

  public static ScoreRequest of(User user, Input prompt, Input... responses) {
    return new ScoreRequest(user, prompt, List.of(responses));
  }
}
