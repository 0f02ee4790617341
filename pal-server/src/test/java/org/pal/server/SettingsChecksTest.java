package org.pal.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.PalException;

/**
 * Every setting of {@code pal serve} at its bounds (the smallest accepted value passes, one below is
 * refused naming the setting), every {@code with...} changing exactly its own fields, and the token
 * file and argument refusals of {@link ServerMain}.
 */
class SettingsChecksTest {
  static final ServerSettings D = ServerSettings.defaults();
  static final String TOKEN = "0123456789abcdef";

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    assertThat(D).isEqualTo(new ServerSettings("127.0.0.1", 8080, null, null, 1000, 1024, 4096, 1, 4 << 20, 256, 20_000, 1000, 64, 50_000, 20_000, 1.5));
  }

  @Test
  void eachWithChangesItsOwnFieldsOnly() {
    Path root = Path.of("/tmp/images");
    assertThat(D.withHost("::1")).isEqualTo(new ServerSettings("::1", 8080, null, null, 1000, 1024, 4096, 1, 4 << 20, 256, 20_000, 1000, 64, 50_000, 20_000, 1.5));
    assertThat(D.withPort(0)).isEqualTo(new ServerSettings("127.0.0.1", 0, null, null, 1000, 1024, 4096, 1, 4 << 20, 256, 20_000, 1000, 64, 50_000, 20_000, 1.5));
    assertThat(D.withToken(TOKEN)).isEqualTo(new ServerSettings("127.0.0.1", 8080, TOKEN, null, 1000, 1024, 4096, 1, 4 << 20, 256, 20_000, 1000, 64, 50_000, 20_000, 1.5));
    assertThat(D.withImagesRoot(root)).isEqualTo(new ServerSettings("127.0.0.1", 8080, null, root, 1000, 1024, 4096, 1, 4 << 20, 256, 20_000, 1000, 64, 50_000, 20_000, 1.5));
    assertThat(D.withBatching(7, 8, 9, 2)).isEqualTo(new ServerSettings("127.0.0.1", 8080, null, null, 7, 8, 9, 2, 4 << 20, 256, 20_000, 1000, 64, 50_000, 20_000, 1.5));
    assertThat(D.withLimits(300, 3, 4, 5, 6)).isEqualTo(new ServerSettings("127.0.0.1", 8080, null, null, 1000, 1024, 4096, 1, 300, 3, 4, 5, 6, 50_000, 20_000, 1.5));
    assertThat(D.withStore(10, 11, 0.25)).isEqualTo(new ServerSettings("127.0.0.1", 8080, null, null, 1000, 1024, 4096, 1, 4 << 20, 256, 20_000, 1000, 64, 10, 11, 0.25));
  }

  @Test
  void everyBoundAcceptsItsMinimumAndRefusesOneLess() {
    bound("batch-window-us", 0, v -> D.withBatching(v, 1024, 4096, 1));
    bound("max-batch", 1, v -> D.withBatching(1000, v, 4096, 1));
    bound("queue", 1, v -> D.withBatching(1000, 1024, v, 1));
    bound("scoring-threads", 1, v -> D.withBatching(1000, 1024, 4096, v));
    bound("max-body-bytes", 256, v -> D.withLimits(v, 256, 20_000, 1000, 64));
    bound("max-responses", 2, v -> D.withLimits(4 << 20, v, 20_000, 1000, 64));
    bound("max-text-chars", 1, v -> D.withLimits(4 << 20, 256, v, 1000, 64));
    bound("max-comparisons", 1, v -> D.withLimits(4 << 20, 256, 20_000, v, 64));
    bound("max-candidates", 2, v -> D.withLimits(4 << 20, 256, 20_000, 1000, v));
    bound("memo-entries", 0, v -> D.withStore(v, 20_000, 1.5));
    bound("snapshot-every", 1, v -> D.withStore(50_000, v, 1.5));
    bound("port", 0, D::withPort);
    assertThat(D.withPort(65535).port()).isEqualTo(65535);
    assertThatThrownBy(() -> D.withPort(65536)).hasMessageContaining("port = 65536");
  }

  private static void bound(String name, int min, IntFunction<ServerSettings> make) {
    assertThat(make.apply(min)).as(name + " at its minimum").isNotNull();
    assertThatThrownBy(() -> make.apply(min - 1)).as(name).isInstanceOf(PalException.class)
        .hasMessageContaining(name + " = " + (min - 1));
  }

  @Test
  void hostTokenAndPriorAreChecked() {
    assertThatThrownBy(() -> D.withHost(null)).hasMessageContaining("host = null");
    assertThatThrownBy(() -> D.withHost(" ")).hasMessageContaining("host");
    assertThat(D.withToken(TOKEN).token()).hasSize(16);
    assertThatThrownBy(() -> D.withToken(TOKEN.substring(1))).hasMessageContaining("token = (15 chars)").hasMessageContaining("at least 16");
    assertThatThrownBy(() -> D.withStore(10, 10, 0)).hasMessageContaining("prior-std = 0");
    assertThatThrownBy(() -> D.withStore(10, 10, Double.NaN)).hasMessageContaining("prior-std = NaN");
    assertThat(D.withStore(10, 10, Double.MIN_VALUE).priorStd()).isPositive();
  }

  @Test
  void theTokenIsTheFilesFirstLineTrimmed(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("token");
    Files.writeString(f, "  " + TOKEN + "  \nsecond line\n");
    assertThat(ServerMain.readToken(f)).isEqualTo(TOKEN);
    Files.writeString(f, "\n" + TOKEN);
    assertThatThrownBy(() -> ServerMain.readToken(f)).hasMessageContaining("token-file").hasMessageContaining("is empty");
    Files.writeString(f, "");
    assertThatThrownBy(() -> ServerMain.readToken(f)).hasMessageContaining("is empty");
    assertThatThrownBy(() -> ServerMain.readToken(dir.resolve("absent"))).hasMessageContaining("cannot be read (NoSuchFileException)");
  }

  @Test
  void theMainRefusesBadArgumentsBeforeLoadingAnything(@TempDir Path dir) {
    assertThatThrownBy(() -> ServerMain.main(new String[] {"--model"})).hasMessageContaining("--model = missing");
    assertThatThrownBy(() -> ServerMain.main(new String[] {"--colour", "red"})).hasMessageContaining("--colour = red").hasMessageContaining("unknown option");
    assertThatThrownBy(() -> ServerMain.main(new String[] {"--model", "m"})).hasMessageContaining("--model and --state are required");
    assertThatThrownBy(() -> ServerMain.main(new String[] {"--state", "s"})).hasMessageContaining("--model and --state are required");
    assertThatThrownBy(() -> ServerMain.main(new String[] {"--model", "m", "--state", "s", "--port", "70000"})).hasMessageContaining("port = 70000");
    assertThatThrownBy(() -> ServerMain.main(new String[] {"--model", "m", "--state", "s", "--snapshot-every", "0"})).hasMessageContaining("snapshot-every = 0");
    assertThatThrownBy(() -> ServerMain.main(new String[] {"--model", "m", "--state", "s", "--host", ""})).hasMessageContaining("host");
    assertThatThrownBy(() -> ServerMain.main(new String[] {"--model", "m", "--state", "s", "--token-file", dir.resolve("none").toString()}))
        .hasMessageContaining("token-file");
    // every option parsed, then the missing model archive is what fails
    assertThatThrownBy(() -> ServerMain.main(new String[] {"--model", dir.resolve("no-model").toString(), "--state", dir.resolve("s").toString(),
        "--host", "127.0.0.1", "--port", "0", "--images-root", dir.toString(), "--snapshot-every", "5"}))
        .isInstanceOf(PalException.class).hasMessageContaining("no-model");
  }
}
