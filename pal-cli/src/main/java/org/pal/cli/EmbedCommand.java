package org.pal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.pal.core.PalException;
import org.pal.core.archive.AtomicFiles;
import org.pal.core.archive.Npy;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Json;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.spi.Embedder;
import org.pal.core.spi.ImageEmbedder;
import org.pal.datasets.TableFile;
import org.pal.embeddings.CachingEmbedder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "embed", description = {"Embed a text column of a JSONL, CSV or Parquet file into DIR/embeddings.npy (float32, one row per record,",
    "in input order) and DIR/ids.txt. Default encoder: the embedded all-MiniLM-L6-v2; vectors are cached on disk."})
final class EmbedCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Option(names = "--input", description = "a .jsonl, .csv, .tsv or .parquet file") Path input;
  @Option(names = "--column", description = "the text column to embed") String column;
  @Option(names = "--images", description = "a folder of images (PNG, JPEG, BMP, GIF) to embed instead, in file-name order; needs an onnx-clip --encoder") Path images;
  @Option(names = "--id-column", description = "column written to ids.txt (default: the row number)") String idColumn;
  @Option(names = "--out", required = true, description = "output directory") Path out;
  @CommandLine.Mixin OutputOptions output = new OutputOptions();
  @Option(names = "--encoder", description = "JSON embedder config, e.g. {\"type\": \"onnx-sentence\", \"model\": \"DIR\"}") Path encoder;
  @Option(names = "--cache", description = "embedding cache directory (default ${DEFAULT-VALUE})", defaultValue = "${sys:user.home}/.cache/pal/embeddings") Path cache;
  @Option(names = "--no-cache", description = "do not read or write the cache") boolean noCache;

  /** Embeds rows [from, to) with the (possibly cached) embedder. */
  @FunctionalInterface
  private interface Chunk {
    float[][] embed(Embedder e, int from, int to);
  }

  @Override
  public void run() {
    if ((images == null) == (input == null)) throw PalException.userInput("give either --input FILE --column NAME or --images FOLDER");
    if (images != null) {
      embedImages();
      return;
    }
    if (column == null) throw PalException.userInput("--column is required with --input");
    List<String> texts = TableFile.readColumn(input, column);
    for (int i = 0; i < texts.size(); i++) {
      String t = texts.get(i);
      if (t == null || t.isBlank()) throw PalException.badInput(input + " row " + (i + 1) + " column " + column, t == null ? "null" : "\"\"", "texts to embed must not be empty; drop or fill that row");
    }
    List<String> idValues = idColumn == null ? null : TableFile.readColumn(input, idColumn);
    List<String> ids = new ArrayList<>(texts.size());
    for (int i = 0; i < texts.size(); i++) ids.add(idValues == null ? String.valueOf(i) : String.valueOf(idValues.get(i)));
    JsonNode cfg = encoder != null ? Json.readTree(encoder) : PalConfig.typed("onnx-sentence");
    embed(cfg, false, ids, 512, (e, from, to) -> e.embed(texts.subList(from, to)),
        Map.of("input", input.toAbsolutePath().toString(), "column", column));
  }

  private void embedImages() {
    if (encoder == null) throw PalException.userInput("--images needs --encoder with an onnx-clip config, e.g. {\"type\": \"onnx-clip\", \"model\": \"DIR\"}");
    List<Path> files;
    try (var s = Files.list(images)) {
      files = s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(png|jpe?g|bmp|gif)")).sorted().toList();
    } catch (java.io.IOException e) {
      throw PalException.badInput("--images", images, "is not a readable folder");
    }
    if (files.isEmpty()) throw PalException.badInput("--images", images, "has no PNG, JPEG, BMP or GIF files");
    embed(Json.readTree(encoder), true, files.stream().map(p -> p.getFileName().toString()).toList(), 64,
        (e, from, to) -> ((ImageEmbedder) e).embedImages(files.subList(from, to)), Map.of("images", images.toAbsolutePath().toString()));
  }

  /** The one pipeline for texts and images: build the encoder, embed in chunks with progress, write the output whole. */
  private void embed(JsonNode cfg, boolean needsImages, List<String> ids, int chunk, Chunk embedChunk, Map<String, Object> source) {
    PrintWriter err = spec.commandLine().getErr();
    ComponentRegistry registry = Pal.load().registry();
    try (Embedder base = registry.embedder(cfg)) {
      if (needsImages && !(base instanceof ImageEmbedder)) {
        throw PalException.badInput("--encoder type", cfg.path("type"), "embeds text only; images need onnx-clip");
      }
      Embedder e = noCache || base instanceof CachingEmbedder ? base : new CachingEmbedder(base, cache);
      int n = ids.size(), dim = e.dimension();
      float[] all = new float[n * dim];
      long t0 = System.nanoTime(), last = 0;
      for (int from = 0; from < n; from += chunk) {
        int to = Math.min(n, from + chunk);
        float[][] v = embedChunk.embed(e, from, to);
        for (int i = 0; i < v.length; i++) CachingEmbedder.requireFinite(v[i], from + i); // also without the cache
        for (int i = 0; i < v.length; i++) System.arraycopy(v[i], 0, all, (from + i) * dim, dim);
        long now = System.nanoTime();
        if (to == n || now - last > 1_000_000_000L) {
          last = now;
          double secs = (now - t0) / 1e9, rate = to / Math.max(secs, 1e-9);
          int filled = (int) (30L * to / n);
          err.printf(Locale.ROOT, "\r[%s%s] %d/%d  %.0f items/s  eta %.0fs", "#".repeat(filled), " ".repeat(30 - filled), to, n, rate, (n - to) / Math.max(rate, 1e-9));
          err.flush();
        }
      }
      err.println();
      Map<String, Object> meta = new java.util.LinkedHashMap<>(source);
      meta.put("encoder", cfg);
      meta.put("fingerprint", e.fingerprint());
      meta.put("dimension", dim);
      AtomicFiles.writeDirectory(out, tmp -> {
        Npy.writeFloats(tmp.resolve("embeddings.npy"), n, dim, all);
        Files.write(tmp.resolve("ids.txt"), ids);
        Files.writeString(tmp.resolve("encoder.json"), Json.write(meta));
      });
      Map<String, Object> summary = new java.util.LinkedHashMap<>();
      summary.put("out", out.toString());
      summary.put("rows", n);
      summary.put("dimension", dim);
      if (e instanceof CachingEmbedder c) {
        summary.put("encoded", c.encodedCount());
        summary.put("cacheHits", c.hitCount());
      }
      summary.put("seconds", (System.nanoTime() - t0) / 1e9);
      spec.commandLine().getOut().println(Json.write(summary));
    }
  }
}
