package org.pal.embeddings;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime's telemetry is off before its environment exists: a JVM with a 5 KB command line
 * (which made ORT 1.29's telemetry segfault the JVM) encodes a sentence, exits 0, and leaves no
 * device id or telemetry database under its HOME.
 */
class TelemetryTest {
  /** The child JVM: builds an encoder the way every PAL entry point does and embeds one sentence. */
  public static final class Probe {
    public static void main(String[] args) {
      try (var e = new OnnxSentenceEncoder(new OnnxSentenceEncoder.Spec("builtin:all-minilm-l6-v2-q", null, null, null, null, null, null, 1))) {
        System.out.println("probe ok " + e.embed(List.of("a sentence")).length);
      }
    }
  }

  @Test
  void aLongCommandLineNeitherCrashesTheJvmNorWritesTelemetry(@TempDir Path home) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dpad=" + "x".repeat(5000), "-cp", System.getProperty("java.class.path"), Probe.class.getName()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("HOME", home.toString());
    // anything that would switch ORT's telemetry off from outside must not make this test pass
    for (String v : List.of(Ort.VARIABLE, "CI", "GITHUB_ACTIONS", "TF_BUILD", "JENKINS_URL", "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", "ORT_RUNNING_UNIT_TESTS")) {
      pb.environment().remove(v);
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int code = p.waitFor();
    assertThat(code).as(out).isZero();
    assertThat(out).contains("probe ok 1");
    assertThat(Files.exists(home.resolve(".cache/Microsoft"))).as("ORT telemetry files under HOME").isFalse();
  }
}
