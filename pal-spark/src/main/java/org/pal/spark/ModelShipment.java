package org.pal.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pal.core.PalException;
import org.pal.core.archive.ModelArchive;

/**
 * A model archive's files as bytes, broadcast from the driver, so executors need no shared file
 * system: each executor unpacks it once into a temporary folder and loads it through the API.
 * Archives are small (parameters and a manifest); encoder weights are not part of them.
 */
final class ModelShipment implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Map<String, byte[]> files;
  private final String sha256;

  private ModelShipment(Map<String, byte[]> files, String sha256) {
    this.files = files;
    this.sha256 = sha256;
  }

  /** Reads every file of the archive at {@code dir} (checked to be one) on the driver. */
  static ModelShipment read(Path dir) {
    ModelArchive.manifest(dir); // a clear message when dir is not an archive
    Map<String, byte[]> files = new TreeMap<>();
    try (var s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
        files.put(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
      }
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        md.update(e.getValue());
      }
      return new ModelShipment(files, HexFormat.of().formatHex(md.digest()));
    } catch (IOException e) {
      throw PalException.environment("cannot read the model archive " + dir + ": " + e.getMessage(), e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw PalException.environment("SHA-256 unavailable", e);
    }
  }

  String sha256() {
    return sha256;
  }

  List<String> names() {
    return List.copyOf(files.keySet());
  }

  /** Writes the archive into a fresh temporary folder (removed when the JVM exits) and returns it. */
  Path unpack() {
    try {
      Path dir = Files.createTempDirectory("pal-spark-model-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> ExecutorResources.deleteTree(dir)));
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        Path f = dir.resolve(e.getKey()).normalize();
        if (!f.startsWith(dir)) throw PalException.userInput("model archive entry " + e.getKey() + " leaves the archive");
        Files.createDirectories(f.getParent());
        Files.write(f, e.getValue());
      }
      return dir;
    } catch (IOException e) {
      throw PalException.environment("cannot unpack the model archive on this executor: " + e.getMessage(), e);
    }
  }
}
