package org.pal.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/** Stands in for pal.jar's main class in {@link LauncherScriptTest}: prints the JVM's huge-page setting and its arguments. */
public final class LauncherProbe {
  private LauncherProbe() {}

  public static void main(String[] args) {
    HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    System.out.println("UseTransparentHugePages=" + vm.getVMOption("UseTransparentHugePages").getValue());
    for (String a : args) System.out.println("arg=" + a);
  }
}
