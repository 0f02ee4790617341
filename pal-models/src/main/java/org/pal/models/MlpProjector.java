package org.pal.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.pal.core.PalException;
import org.pal.core.spi.BuildContext;
import org.pal.core.spi.Projector;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/**
 * N linear layers (in -> hidden -> ... -> out) with an activation and optional dropout between them,
 * and optional residual connections on layers whose input and output widths match. Layer order as
 * the reference implementation: linear, dropout, activation.
 */
public final class MlpProjector implements Projector {
  public record Spec(Integer layers, Integer hidden, String activation, Double dropout, Boolean residual, Boolean bias) {
    public Spec {
      if (layers == null) layers = 2;
      if (activation == null) activation = "gelu";
      if (dropout == null) dropout = 0.0;
      if (residual == null) residual = false;
      if (bias == null) bias = true;
      if (layers < 1) throw PalException.badInput("layers", layers, "an MLP needs at least 1 layer");
      if (!activation.equals("gelu") && !activation.equals("relu")) {
        throw PalException.badInput("activation", "\"" + activation + "\"", "valid activations: [gelu, relu]");
      }
      if (!(dropout >= 0 && dropout < 1)) throw PalException.badInput("dropout", dropout, "must be in [0, 1)");
      if (hidden != null && hidden < 1) throw PalException.badInput("hidden", hidden, "must be at least 1");
    }
  }

  private final Spec spec;
  private final List<LinearProjector> layers = new ArrayList<>();
  private final int in;
  private final int out;

  public MlpProjector(Spec spec, BuildContext ctx) {
    this.spec = spec;
    this.in = ctx.inDim();
    this.out = ctx.outDim();
    int hidden = spec.hidden() == null ? out : spec.hidden();
    int width = in;
    for (int i = 0; i < spec.layers(); i++) {
      int o = i == spec.layers() - 1 ? out : hidden;
      layers.add(new LinearProjector(ctx, "layer" + i, width, o, spec.bias()));
      width = o;
    }
  }

  @Override
  public Var apply(Tape tape, Var x, Random random) {
    Var h = x;
    for (int i = 0; i < layers.size(); i++) {
      LinearProjector layer = layers.get(i);
      Var y = layer.apply(tape, h, random);
      if (i < layers.size() - 1) {
        if (random != null) y = tape.dropout(y, spec.dropout(), random);
        y = spec.activation().equals("gelu") ? tape.gelu(y) : tape.relu(y);
      }
      if (spec.residual() && layer.inDim() == layer.outDim()) y = tape.add(h, y);
      h = y;
    }
    return h;
  }

  @Override public int inDim() { return in; }
  @Override public int outDim() { return out; }
}
