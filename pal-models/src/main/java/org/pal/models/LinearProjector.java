package org.pal.models;

import java.util.Random;
import org.pal.core.spi.BuildContext;
import org.pal.core.spi.Projector;
import org.pal.core.tensor.Init;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/** y = x W (+ b): the paper's "single-layer MLP without bias" when bias is false. */
public final class LinearProjector implements Projector {
  public record Spec(Boolean bias) {
    public Spec {
      if (bias == null) bias = true;
    }
  }

  private final int in;
  private final int out;
  private final Param w;
  private final Param b;

  public LinearProjector(Spec spec, BuildContext ctx) {
    this(ctx, "", ctx.inDim(), ctx.outDim(), spec.bias());
  }

  LinearProjector(BuildContext ctx, String local, int in, int out, boolean bias) {
    this.in = in;
    this.out = out;
    String p = local.isEmpty() ? "" : local + ".";
    this.w = ctx.params().create(ctx.param(p + "weight"), ctx.group(), in, out, Init.uniformFanIn(in));
    this.b = bias ? ctx.params().create(ctx.param(p + "bias"), ctx.group(), 1, out, Init.uniformFanIn(in)) : null;
  }

  @Override
  public Var apply(Tape tape, Var x, Random random) {
    return b == null ? tape.matmul(x, tape.param(w)) : tape.affine(x, tape.param(w), tape.param(b));
  }

  @Override public int inDim() { return in; }
  @Override public int outDim() { return out; }
}
