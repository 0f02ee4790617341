package org.pal.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.pal.core.PalException;
import org.pal.core.spi.BuildContext;
import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.ModelVariant;
import org.pal.core.spi.Projector;
import org.pal.core.tensor.Init;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/**
 * PAL model B (eq. 9): item map f, K prototype functions g_k of the prompt, user ideal point
 * z_i(c) = sum_k w_ik g_k(c); utility = cos(f(x), z_i(c)) times a learnable logit scale
 * exp(s), s starting at log(1/0.07) and exp(s) clamped at 100 (as CLIP).
 */
public final class PalB implements ModelVariant, org.pal.core.spi.FactorizedVariant {
  public record Spec(Integer k, Integer dim, JsonNode itemProjector, JsonNode promptProjector,
                     Double logitScaleInit, Double logitScaleMax, Boolean learnScale) {
    public Spec {
      if (k == null) k = 1;
      if (dim == null) dim = 16;
      if (itemProjector == null) itemProjector = referenceMlp();
      if (promptProjector == null) promptProjector = itemProjector;
      if (logitScaleInit == null) logitScaleInit = Math.log(1 / 0.07);
      if (logitScaleMax == null) logitScaleMax = 100.0;
      if (learnScale == null) learnScale = true;
      if (k < 1) throw PalException.badInput("k", k, "K must be at least 1 (K = 1 is the homogeneous model)");
      if (dim < 1) throw PalException.badInput("dim", dim, "the latent dimension must be at least 1");
    }

    /** The reference projector: 3 linear layers of width d with GELU between them. */
    public static ObjectNode referenceMlp() {
      ObjectNode n = org.pal.core.config.PalConfig.typed("mlp");
      n.put("layers", 3).put("activation", "gelu");
      return n;
    }
  }

  private final int k;
  private final Projector f;
  private final List<Projector> g = new ArrayList<>();
  private final Param logitScale;
  private final double scaleMax;
  private final double fixedScale;

  public PalB(Spec spec, BuildContext ctx) {
    if (ctx.promptDim() < 1) {
      throw PalException.badInput("model.type", "\"pal-b\"", "PAL-B conditions ideal points on prompts, and this data has none; use pal-a");
    }
    this.k = spec.k();
    this.f = ctx.registry().create(ExtensionPoint.PROJECTOR, spec.itemProjector(),
        ctx.child("f", "mapping", ctx.itemDim(), spec.dim(), ctx.path() + ".itemProjector"));
    for (int i = 0; i < k; i++) {
      g.add(ctx.registry().create(ExtensionPoint.PROJECTOR, spec.promptProjector(),
          ctx.child("g" + i, "prototypes", ctx.promptDim(), spec.dim(), ctx.path() + ".promptProjector")));
    }
    this.scaleMax = spec.logitScaleMax();
    this.fixedScale = Math.min(Math.exp(spec.logitScaleInit()), scaleMax);
    this.logitScale = spec.learnScale()
        ? ctx.params().create(ctx.param("logitScale"), "scale", 1, 1, Init.constant(spec.logitScaleInit())) : null;
  }

  @Override
  public Var[] utilities(Tape tape, Var weights, Var prompts, Random random, Var... items) {
    if (prompts == null) throw PalException.userInput("pal-b needs a prompt for every comparison; this batch has none");
    int n = weights.rows();
    Var stacked = items[0];
    for (int j = 1; j < items.length; j++) stacked = tape.stackRows(stacked, items[j]);
    // the prompt functions and the item mapping depend on nothing of each other: two branches
    Var[][] out = tape.branches(new Var[] {prompts, stacked}, random, (t, in, r) -> {
      Var[] gs = new Var[k];
      for (int i = 0; i < k; i++) gs[i] = g.get(i).apply(t, in[0], r);
      return gs;
    }, (t, in, r) -> new Var[] {t.l2NormalizeRows(f.apply(t, in[1], r))});
    Var z = null;
    for (int i = 0; i < k; i++) {
      Var term = tape.scaleRows(out[0][i], tape.column(weights, i));
      z = z == null ? term : tape.add(z, term);
    }
    Var zn = tape.l2NormalizeRows(z);
    Var fx = out[1][0];
    Var s;
    if (logitScale != null) {
      s = tape.expClamped(tape.param(logitScale), scaleMax);
    } else {
      org.pal.core.tensor.Mat c = tape.alloc(1, 1);
      c.set(0, fixedScale);
      s = tape.constant(c);
    }
    Var[] u = new Var[items.length];
    for (int j = 0; j < items.length; j++) {
      u[j] = tape.scale(tape.sumRows(tape.mul(tape.sliceRows(fx, j * n, (j + 1) * n), zn)), s);
    }
    return u;
  }

  /** The prompt functions g_1..g_K and the item mapping f ({@link #utilities}). */
  @Override
  public int branches() {
    return 2;
  }

  @Override
  public int k() {
    return k;
  }

  @Override
  public boolean itemsUsePrompts() {
    return false;
  }

  @Override
  public Var itemLatents(Tape tape, Var items, Var prompts) {
    return tape.l2NormalizeRows(f.apply(tape, items, null));
  }

  @Override
  public Var idealLatents(Tape tape, Var weights, Var prompts) {
    return ideal(tape, weights, contextLatents(tape, prompts), false);
  }

  /** The K prototype functions of the prompts, g_k(c) (evaluation mode). */
  @Override
  public Var[] contextLatents(Tape tape, Var prompts) {
    if (prompts == null) throw PalException.userInput("pal-b needs a prompt for every comparison; this batch has none");
    Var[] gs = new Var[k];
    for (int i = 0; i < k; i++) gs[i] = g.get(i).apply(tape, prompts, null);
    return gs;
  }

  /** As {@link #utilities} forms it: every g_k scaled by its weight, K = 1 included, so that a fit records the same operations. */
  @Override
  public Var idealFromContext(Tape tape, Var weights, Var[] context) {
    return ideal(tape, weights, context, true);
  }

  private Var ideal(Tape tape, Var weights, Var[] gs, boolean scaleSingle) {
    Var z = null;
    for (int i = 0; i < k; i++) {
      Var term = k == 1 && !scaleSingle ? gs[i] : tape.scaleRows(gs[i], tape.column(weights, i));
      z = z == null ? term : tape.add(z, term);
    }
    return tape.l2NormalizeRows(z);
  }

  @Override
  public Var utility(Tape tape, Var itemLatents, Var idealLatents) {
    return tape.scale(tape.sumRows(tape.mul(itemLatents, idealLatents)), scale(tape));
  }

  private Var scale(Tape tape) {
    if (logitScale != null) return tape.expClamped(tape.param(logitScale), scaleMax);
    org.pal.core.tensor.Mat c = tape.alloc(1, 1);
    c.set(0, fixedScale);
    return tape.constant(c);
  }
}
