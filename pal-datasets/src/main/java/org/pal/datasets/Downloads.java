package org.pal.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.pal.core.PalException;

/**
 * Fetches a public original for a user who has network: only when asked (a download base URL in
 * the dataset spec) and only files that are not there yet. Written to a temporary file and renamed,
 * so an interrupted download leaves nothing that looks complete. No test or default run needs it.
 */
public final class Downloads {
  /** The Anthropic persona files, at the commit the shared copy comes from. */
  public static final String PERSONA = "https://raw.githubusercontent.com/anthropics/evals/84fcc677e52e1902d696c32cd1a6b663e70d3993/persona/";
  /** OpenAI's summarize-from-feedback comparison batches. */
  public static final String TLDR = "https://openaipublic.blob.core.windows.net/summarize-from-feedback/dataset/comparisons/";

  private Downloads() {}

  /** target itself when it exists, else base + name fetched into it. */
  public static Path ensure(Path target, String base, String name) {
    if (Files.exists(target)) return target;
    if (base == null) return target;
    URI uri = URI.create(base.endsWith("/") ? base + name : base + "/" + name);
    try {
      Files.createDirectories(target.toAbsolutePath().getParent());
      Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), "." + name, ".part");
      try {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) throw PalException.environment("download " + uri + " answered HTTP " + r.statusCode() + "; check the URL or copy the file to " + target, null);
        try (InputStream in = r.body()) {
          Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        if (Files.size(tmp) == 0) throw PalException.environment("download " + uri + " was empty", null);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        return target;
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw PalException.environment("cannot download " + uri + " (" + e.getMessage() + "); without network, copy the file to " + target, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw PalException.environment("download of " + uri + " interrupted", e);
    }
  }
}
