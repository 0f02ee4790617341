package org.pal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pal serve's refusals, before anything is loaded or bound. */
class ServeCommandTest {
  @TempDir Path dir;

  private int run(StringWriter err, String... args) {
    return PalCommand.execute(args, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
  }

  @Test
  void refusesNonLoopbackWithoutAToken() {
    StringWriter err = new StringWriter();
    int code = run(err, "serve", "--model", dir.resolve("m").toString(), "--state", dir.resolve("s").toString(), "--host", "0.0.0.0");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("host = 0.0.0.0").contains("loopback");
  }

  @Test
  void refusesAShortToken() throws Exception {
    Path t = Files.writeString(dir.resolve("token"), "short\n");
    StringWriter err = new StringWriter();
    int code = run(err, "serve", "--model", dir.resolve("m").toString(), "--state", dir.resolve("s").toString(), "--token-file", t.toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("token").contains("at least 16").doesNotContain("short");
  }
}
