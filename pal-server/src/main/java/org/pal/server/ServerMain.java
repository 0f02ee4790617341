package org.pal.server;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.core.PalException;

/**
 * A server without the CLI, for embedding and for tests that need a real process:
 * {@code java -cp ... org.pal.server.ServerMain --model M --state DIR [--host H] [--port P]
 * [--token-file F] [--images-root D] [--dataset F] [--snapshot-every N]}. Prints {@code listening on PORT} once
 * it accepts requests. {@code pal serve} is the same with every setting.
 */
public final class ServerMain {
  private ServerMain() {}

  public static void main(String[] args) throws Exception {
    Path model = null, state = null, dataset = null;
    ServerSettings s = ServerSettings.defaults();
    for (int i = 0; i < args.length; i += 2) {
      String v = i + 1 < args.length ? args[i + 1] : null;
      if (v == null) throw PalException.badInput(args[i], "missing", "give a value");
      switch (args[i]) {
        case "--model" -> model = Path.of(v);
        case "--state" -> state = Path.of(v);
        case "--host" -> s = s.withHost(v);
        case "--port" -> s = s.withPort(Integer.parseInt(v));
        case "--token-file" -> s = s.withToken(readToken(Path.of(v)));
        case "--images-root" -> s = s.withImagesRoot(Path.of(v));
        case "--dataset" -> dataset = Path.of(v);
        case "--snapshot-every" -> s = s.withStore(s.memoEntries(), Integer.parseInt(v), s.priorStd());
        default -> throw PalException.badInput(args[i], v, "unknown option");
      }
    }
    if (model == null || state == null) throw PalException.userInput("--model and --state are required");
    RewardModel m = PalApi.create().load(model);
    PalServer server = PalServer.start(m, state, s, dataset);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    System.out.println("listening on " + server.port());
    System.out.flush();
    Thread.currentThread().join();
  }

  /** The token: the file's first line, trimmed; at least 16 characters. */
  public static String readToken(Path f) {
    try {
      String t = Files.readString(f, StandardCharsets.UTF_8).lines().findFirst().orElse("").trim();
      if (t.isEmpty()) throw PalException.badInput("token-file", f, "is empty; write the token on its first line");
      return t;
    } catch (java.io.IOException e) {
      throw PalException.badInput("token-file", f, "cannot be read (" + e.getClass().getSimpleName() + ")");
    }
  }
}
