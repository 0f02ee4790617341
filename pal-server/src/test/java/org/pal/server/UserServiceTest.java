package org.pal.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** User ids at the edges of their alphabet and length. */
class UserServiceTest {
  @Test
  void userIdsAreOneTo128CharactersOfTheirAlphabet() {
    for (String ok : new String[] {"A", "Z", "a", "z", "0", "9", ".", ":", "_", "@", "~", "-", "user.name:42_x@host~a-b", "x".repeat(128)}) {
      assertThat(UserService.checkId(ok)).as(ok).isEqualTo(ok);
    }
    // the characters either side of each allowed range, and the lengths either side of the bounds
    for (String bad : new String[] {"", "x".repeat(129), "[", "`", "{", "/", ";", "?", "a b", "é", "a/b", "\u0000"}) {
      assertThatThrownBy(() -> UserService.checkId(bad)).as("'" + bad + "'").isInstanceOfSatisfying(ApiError.class, e -> {
        assertThat(e.status).isEqualTo(400);
        assertThat(e.field).isEqualTo("user");
        assertThat(e.value).isEqualTo("(" + bad.length() + " chars)");
      });
    }
    ApiError none = JsonInputsTest.refusal(() -> UserService.checkId(null));
    assertThat(none.value).isEqualTo("missing");
  }
}
