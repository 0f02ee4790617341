package org.pal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pal-cli/bin/pal}: the JVM options it adds (huge pages only where the kernel offers them), the
 * user's options and arguments passed on unchanged, and a clear error when the jar is not built.
 */
class LauncherScriptTest {
  private static final Path SCRIPT = Paths.get("bin", "pal").toAbsolutePath();

  @TempDir Path dir;

  record Run(int code, List<String> lines, String err) {}

  /** Runs the script with a stand-in java that prints the arguments it was given, one per line. */
  private Run launch(Map<String, String> env, String... args) throws Exception {
    Path echo = dir.resolve("echo-java");
    if (!Files.exists(echo)) {
      Files.writeString(echo, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
      echo.toFile().setExecutable(true);
    }
    Path jar = dir.resolve("pal.jar");
    if (!Files.exists(jar)) Files.writeString(jar, "stand-in");
    return run(Map.of("PAL_JAVA", echo.toString(), "PAL_JAR", jar.toString()), env, args);
  }

  private Run run(Map<String, String> base, Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("PAL_JAVA_OPTS");
    pb.environment().putAll(base);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(p.waitFor(), out.isEmpty() ? List.of() : List.of(out.split("\n")), err);
  }

  private Path kernelSetting(String text) throws IOException {
    Path f = dir.resolve("thp-" + Math.abs(text.hashCode()));
    Files.writeString(f, text + "\n");
    return f;
  }

  @Test
  void hugePagesAreAskedForWhereTheKernelOffersThem() throws Exception {
    for (String offered : new String[] {"always [madvise] never", "[always] madvise never"}) {
      Run r = launch(Map.of("PAL_THP_SETTING", kernelSetting(offered).toString()), "train", "--out", "runs/a b");
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.lines()).as(offered).containsExactly("-XX:+UseTransparentHugePages", "-jar", dir.resolve("pal.jar").toString(),
          "train", "--out", "runs/a b");
    }
  }

  @Test
  void noHugePageFlagWhereTheKernelRefusesThemOrDoesNotSay() throws Exception {
    Run never = launch(Map.of("PAL_THP_SETTING", kernelSetting("always madvise [never]").toString()), "plugins");
    assertThat(never.code()).as(never.err()).isZero();
    assertThat(never.lines()).containsExactly("-jar", dir.resolve("pal.jar").toString(), "plugins");
    Run missing = launch(Map.of("PAL_THP_SETTING", dir.resolve("no-such-file").toString()), "plugins");
    assertThat(missing.lines()).containsExactly("-jar", dir.resolve("pal.jar").toString(), "plugins");
  }

  @Test
  void theUsersJvmOptionsComeAfterTheLaunchersAndBeforeTheJar() throws Exception {
    Run r = launch(Map.of("PAL_THP_SETTING", kernelSetting("always [madvise] never").toString(), "PAL_JAVA_OPTS", "-Xmx2g -Dpal.x=1"),
        "bench", "--workload", "memory");
    assertThat(r.lines()).containsExactly("-XX:+UseTransparentHugePages", "-Xmx2g", "-Dpal.x=1", "-jar",
        dir.resolve("pal.jar").toString(), "bench", "--workload", "memory");
  }

  @Test
  void aMissingJarIsAClearErrorNamingTheBuild() throws Exception {
    Path absent = dir.resolve("not-built/pal.jar");
    Run r = launch(Map.of("PAL_JAR", absent.toString()), "plugins");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.lines()).as("java is not started").isEmpty();
    assertThat(r.err()).contains(absent.toString()).contains("mvn -B -q package -DskipTests").contains("PAL_JAR");
  }

  /** With the real java: the flag the script adds on this machine is one the JVM accepts and turns on. */
  @Test
  void theRealJvmRunsWithHugePagesExactlyWhereThisKernelOffersThem() throws Exception {
    Path jar = dir.resolve("probe.jar");
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, LauncherProbe.class.getName());
    String entry = LauncherProbe.class.getName().replace('.', '/') + ".class";
    try (OutputStream os = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(os, m)) {
      j.putNextEntry(new JarEntry(entry));
      try (var in = LauncherProbe.class.getClassLoader().getResourceAsStream(entry)) {
        in.transferTo(j);
      }
      j.closeEntry();
    }
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    Run r = run(Map.of("PAL_JAVA", java, "PAL_JAR", jar.toString()), Map.of(), "x y");
    assertThat(r.code()).as(r.err()).isZero();
    Path sys = Paths.get("/sys/kernel/mm/transparent_hugepage/enabled");
    String setting = Files.isReadable(sys) ? Files.readString(sys) : "";
    boolean offered = setting.contains("[madvise]") || setting.contains("[always]");
    assertThat(r.lines()).containsExactly("UseTransparentHugePages=" + offered, "arg=x y");
    assertThat(r.err()).as("no JVM warning about huge pages").doesNotContainIgnoringCase("huge");
  }
}
