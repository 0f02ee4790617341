package org.pal.models;

import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.pal.core.PalException;
import org.pal.core.spi.BuildContext;
import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.LinkFunction;
import org.pal.core.spi.ModelVariant;
import org.pal.core.spi.PalPlugin;
import org.pal.core.tensor.Init;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/**
 * A third-party plugin as a user would write one: its own Guice module and services file (in test
 * resources), adding a link function and a model variant that the unchanged trainer must use.
 */
public final class TestPlugin extends PalPlugin {
  public static final AtomicInteger LINK_CALLS = new AtomicInteger();
  public static final AtomicInteger MODEL_CALLS = new AtomicInteger();

  @Override
  protected void configurePlugin() {
    register(ExtensionPoint.LINK, "test-tanh", TanhLink.Spec.class, (s, c) -> new TanhLink(), "h(z) = (1 + tanh z) / 2");
    register(ExtensionPoint.MODEL, "test-bilinear", Bilinear.Spec.class, Bilinear::new, "u(x) = x A (w B)^T");
  }

  /** h(z) = (1 + tanh z)/2, a monotone link with h(0) = 1/2. */
  public static final class TanhLink implements LinkFunction {
    public record Spec() {}

    @Override
    public double probability(double z) {
      return (1 + Math.tanh(z)) / 2;
    }

    @Override
    public Var logProbability(Tape tape, Var x) {
      LINK_CALLS.incrementAndGet();
      // log((1 + tanh v)/2) = -log(1 + e^{-2v}); derivative 2 / (1 + e^{2v})
      return tape.map(x, v -> v >= 0 ? -Math.log1p(Math.exp(-2 * v)) : 2 * v - Math.log1p(Math.exp(2 * v)), v -> 2 / (1 + Math.exp(2 * v)));
    }
  }

  /** A bilinear ideal-point-free model: u(x) = (x A) . (w B), with A item x r and B K x r. */
  public static final class Bilinear implements ModelVariant {
    public record Spec(Integer k, Integer rank) {
      public Spec {
        if (k == null) k = 2;
        if (rank == null) rank = 3;
        if (k < 1) throw PalException.badInput("k", k, "must be at least 1");
      }
    }

    private final int k;
    private final Param a;
    private final Param b;

    public Bilinear(Spec spec, BuildContext ctx) {
      this.k = spec.k();
      this.a = ctx.params().create(ctx.param("a"), "mapping", ctx.itemDim(), spec.rank(), Init.normal(0.3));
      this.b = ctx.params().create(ctx.param("b"), "prototypes", spec.k(), spec.rank(), Init.normal(0.3));
    }

    @Override
    public Var[] utilities(Tape tape, Var weights, Var prompts, Random random, Var... items) {
      MODEL_CALLS.incrementAndGet();
      Var user = tape.matmul(weights, tape.param(b));
      Var[] u = new Var[items.length];
      for (int i = 0; i < items.length; i++) u[i] = tape.sumRows(tape.mul(tape.matmul(items[i], tape.param(a)), user));
      return u;
    }

    @Override
    public int k() {
      return k;
    }
  }
}
