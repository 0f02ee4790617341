package org.pal.models;

import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.PalPlugin;

/** Registers the built-in models, projectors, links, losses and simplex maps, as any plugin would. */
public final class BuiltinModelsPlugin extends PalPlugin {
  @Override
  protected void configurePlugin() {
    register(ExtensionPoint.MODEL, "pal-a", PalA.Spec.class, PalA::new,
        "prototype ideal points; utility -||f(x;c) - f(Pw)||^2 (paper eq. 8)");
    register(ExtensionPoint.MODEL, "pal-b", PalB.Spec.class, PalB::new,
        "prototype functions of the prompt; utility scaled cos(f(x), sum_k w_k g_k(c)) (paper eq. 9)");
    register(ExtensionPoint.PROJECTOR, "linear", LinearProjector.Spec.class, LinearProjector::new,
        "x W (+ b)");
    register(ExtensionPoint.PROJECTOR, "mlp", MlpProjector.Spec.class, MlpProjector::new,
        "N linear layers with relu/gelu, dropout, optional residual");
    register(ExtensionPoint.LINK, "logistic", Links.NoSpec.class, (s, c) -> new Links.Logistic(),
        "Bradley-Terry-Luce sigmoid");
    register(ExtensionPoint.LINK, "cauchit", Links.NoSpec.class, (s, c) -> new Links.Cauchit(),
        "Cauchy CDF 1/2 + atan(z)/pi");
    register(ExtensionPoint.LOSS, "logistic", Links.NoSpec.class, (s, c) -> new Losses.LogLikelihood(),
        "negative log-likelihood under the link (the logistic loss with the logistic link)");
    register(ExtensionPoint.LOSS, "hinge", Links.NoSpec.class, (s, c) -> new Losses.Hinge(),
        "max(0, 1 - y z)");
    register(ExtensionPoint.SIMPLEX, "softmax", SimplexMaps.TemperatureSpec.class, (s, c) -> new SimplexMaps.Softmax(s),
        "softmax(theta / T)");
    register(ExtensionPoint.SIMPLEX, "gumbel-softmax", SimplexMaps.TemperatureSpec.class, (s, c) -> new SimplexMaps.GumbelSoftmax(s),
        "relaxed Gumbel sample in training, softmax at evaluation");
    register(ExtensionPoint.SIMPLEX, "partition", SimplexMaps.TemperatureSpec.class, (s, c) -> new SimplexMaps.Partition(s),
        "softmax in training, hard argmax (one prototype per user) at evaluation");
  }
}
