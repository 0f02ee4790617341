package org.pal.models;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Random;
import org.pal.core.PalException;
import org.pal.core.config.PalConfig;
import org.pal.core.spi.BuildContext;
import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.ModelVariant;
import org.pal.core.spi.Projector;
import org.pal.core.tensor.Init;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/**
 * PAL model A (eq. 8): K prototype points P in the input space, user ideal point a_i = w_i P, and
 * utility u(x) = -||f(x; x_c) - f(a_i)||^2 (a smaller distance is preferred). One mapping f reads
 * items (with the prompt embedding appended when the data has prompts) and ideal points alike.
 */
public final class PalA implements ModelVariant, org.pal.core.spi.FactorizedVariant {
  public record Spec(Integer k, Integer dim, JsonNode projector, Double prototypeInitStd) {
    public Spec {
      if (k == null) k = 1;
      if (dim == null) dim = 16;
      if (projector == null) projector = PalConfig.typed("linear");
      if (k < 1) throw PalException.badInput("k", k, "K must be at least 1 (K = 1 is the homogeneous model)");
      if (dim < 1) throw PalException.badInput("dim", dim, "the latent dimension must be at least 1");
    }
  }

  private final int k;
  private final Param prototypes;
  private final Projector f;

  public PalA(Spec spec, BuildContext ctx) {
    this.k = spec.k();
    int in = ctx.itemDim() + ctx.promptDim();
    double std = spec.prototypeInitStd() != null ? spec.prototypeInitStd() : 1.0 / Math.sqrt(in);
    this.f = ctx.registry().create(ExtensionPoint.PROJECTOR, spec.projector(), ctx.child("f", "mapping", in, spec.dim(), ctx.path() + ".projector"));
    this.prototypes = ctx.params().create(ctx.param("prototypes"), "prototypes", k, in, Init.normal(std));
  }

  @Override
  public Var[] utilities(Tape tape, Var weights, Var prompts, Random random, Var... items) {
    int n = weights.rows();
    Var ideal = tape.matmul(weights, tape.param(prototypes));
    // one pass of f over [items_1; ...; items_m; ideal points]: fewer, larger matrix products
    Var stacked = null;
    for (Var x : items) {
      Var in = prompts == null ? x : tape.concatCols(x, prompts);
      stacked = stacked == null ? in : tape.stackRows(stacked, in);
    }
    stacked = tape.stackRows(stacked, ideal);
    Var mapped = f.apply(tape, stacked, random);
    Var fa = tape.sliceRows(mapped, items.length * n, (items.length + 1) * n);
    Var[] u = new Var[items.length];
    for (int j = 0; j < items.length; j++) {
      Var diff = tape.sub(tape.sliceRows(mapped, j * n, (j + 1) * n), fa);
      u[j] = tape.map(tape.sumRows(tape.mul(diff, diff)), v -> -v, v -> -1);
    }
    return u;
  }

  @Override
  public int k() {
    return k;
  }

  @Override
  public Var itemLatents(Tape tape, Var items, Var prompts) {
    return f.apply(tape, prompts == null ? items : tape.concatCols(items, prompts), null);
  }

  /** The ideal point a_i = w_i P lives in the input space, prompt part included: it does not depend on the prompt. */
  @Override
  public Var idealLatents(Tape tape, Var weights, Var prompts) {
    return f.apply(tape, tape.matmul(weights, tape.param(prototypes)), null);
  }

  @Override
  public Var utility(Tape tape, Var itemLatents, Var idealLatents) {
    Var diff = tape.sub(itemLatents, idealLatents);
    return tape.map(tape.sumRows(tape.mul(diff, diff)), v -> -v, v -> -1);
  }
}
