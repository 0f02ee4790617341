package org.pal.api;

import org.pal.core.PalException;

/**
 * One answer of one user: under {@code prompt} (null for models without prompts) they preferred
 * {@code chosen} over {@code rejected}.
 */
public record Comparison(String user, Input prompt, Input chosen, Input rejected) {
  public Comparison {
    if (user == null || user.isEmpty()) throw PalException.badInput("user", user == null ? "null" : "\"\"", "every comparison needs a user id");
    if (chosen == null) throw PalException.badInput("chosen", "null", "every comparison needs the preferred response");
    if (rejected == null) throw PalException.badInput("rejected", "null", "every comparison needs the other response");
  }

  public static Comparison of(String user, String prompt, String chosen, String rejected) {
    return new Comparison(user, prompt == null ? null : Input.text(prompt), Input.text(chosen), Input.text(rejected));
  }
}
