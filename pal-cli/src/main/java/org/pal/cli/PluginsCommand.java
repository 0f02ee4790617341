package org.pal.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Pal;
import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.Registration;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "plugins", description = "List every registered type name per extension point, with its config fields.")
final class PluginsCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    PrintWriter out = spec.commandLine().getOut();
    Pal pal = Pal.load();
    ComponentRegistry r = pal.registry();
    out.println("plugins: " + pal.plugins());
    for (ExtensionPoint<?> p : ExtensionPoint.builtIn()) {
      out.println();
      out.println(p.name() + " — " + p.description());
      if (r.names(p).isEmpty()) out.println("  (none registered)");
      for (Registration<?, ?> reg : r.registrations(p)) {
        String fields = reg.specClass().isRecord()
            ? Arrays.stream(reg.specClass().getRecordComponents()).map(c -> c.getName()).collect(Collectors.joining(", ")) : "";
        out.printf("  %-16s %s%s%n", reg.name(), reg.description(), fields.isEmpty() ? "" : "  {" + fields + "}");
      }
    }
  }
}
