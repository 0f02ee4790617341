package org.pal.core.spi;

import org.pal.core.config.ComponentRegistry;
import org.pal.core.tensor.ParamStore;

/**
 * What a factory may need to build a component: the registry (to build nested components), the
 * parameter store to declare parameters in, a name prefix and optimizer group for them, the
 * input/output dimensions, the data's dimensions, K, and the JSON path for error messages.
 */
public record BuildContext(
    ComponentRegistry registry, ParamStore params, String name, String group,
    int inDim, int outDim, int itemDim, int promptDim, int k, String path) {

  public BuildContext child(String childName, String childGroup, int in, int out, String childPath) {
    return new BuildContext(registry, params, name.isEmpty() ? childName : name + "." + childName, childGroup,
        in, out, itemDim, promptDim, k, childPath);
  }

  public String param(String local) {
    return name.isEmpty() ? local : name + "." + local;
  }
}
