package org.pal.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.pal.core.PalException;
import org.pal.core.spi.BuildContext;
import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.Registration;

/**
 * Every registered implementation, by extension point and JSON type name. Turns a JSON component
 * config ({@code {"type": "...", ...}}) into an instance: looks up the type, binds the remaining
 * fields strictly to the registration's spec class, and calls its factory. The trainer and CLI only
 * ever go through here: nothing switches on type names.
 */
public final class ComponentRegistry {
  private final Map<String, Map<String, Registration<?, ?>>> byPoint = new LinkedHashMap<>();
  private final ObjectMapper mapper;

  @Inject
  public ComponentRegistry(Set<Registration<?, ?>> registrations) {
    this.mapper = Json.strictMapper();
    List<Registration<?, ?>> sorted = new ArrayList<>(registrations);
    sorted.sort(Comparator.comparing((Registration<?, ?> r) -> r.point().name()).thenComparing(Registration::name));
    for (Registration<?, ?> r : sorted) {
      Map<String, Registration<?, ?>> m = byPoint.computeIfAbsent(r.point().name(), k -> new TreeMap<>());
      Registration<?, ?> old = m.put(r.name(), r);
      if (old != null && old != r) {
        throw PalException.userInput("two plugins register " + r.point().name() + " type '" + r.name() + "': "
            + old.factory().getClass().getName() + " and " + r.factory().getClass().getName() + "; remove one jar from the class path");
      }
    }
  }

  public List<String> names(ExtensionPoint<?> point) {
    return new ArrayList<>(byPoint.getOrDefault(point.name(), Map.of()).keySet());
  }

  public List<Registration<?, ?>> registrations(ExtensionPoint<?> point) {
    return new ArrayList<>(byPoint.getOrDefault(point.name(), Map.of()).values());
  }

  /** Finds the registration named by the node's "type", or fails naming the path and the valid types. */
  public Registration<?, ?> lookup(ExtensionPoint<?> point, JsonNode node, String path) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      throw PalException.userInput(path + ": missing; give an object with \"type\" one of " + names(point));
    }
    if (!node.isObject()) {
      throw PalException.userInput(path + " = " + node + ": expected an object with \"type\" one of " + names(point));
    }
    JsonNode type = node.get("type");
    if (type == null || !type.isTextual()) {
      throw PalException.userInput(path + ".type: missing; valid " + point.name() + " types: " + names(point));
    }
    Registration<?, ?> r = byPoint.getOrDefault(point.name(), Map.of()).get(type.asText());
    if (r == null) {
      throw PalException.userInput(path + ".type = \"" + type.asText() + "\": unknown " + point.name()
          + " type; valid types: " + names(point) + " (plugins add more; see 'pal plugins')");
    }
    return r;
  }

  /** Binds the node (minus "type") to the spec class of its registration, strictly. */
  public Object bindSpec(ExtensionPoint<?> point, JsonNode node, String path) {
    Registration<?, ?> r = lookup(point, node, path);
    ObjectNode rest = ((ObjectNode) node).deepCopy();
    rest.remove("type");
    return Json.bind(mapper, rest, r.specClass(), path);
  }

  public <T> T create(ExtensionPoint<T> point, JsonNode node, BuildContext context) {
    Registration<?, ?> r = lookup(point, node, context.path());
    Object spec = bindSpec(point, node, context.path());
    Object built = r.build(spec, context);
    return point.type().cast(built);
  }

  /** An embedder from its JSON config (embedders need no dimensions or parameters from a build context). */
  public org.pal.core.spi.Embedder embedder(JsonNode config) {
    return create(ExtensionPoint.EMBEDDER, config, new BuildContext(this, null, "", "", 0, 0, 0, 0, 1, "encoder"));
  }

  /** A dataset source from its JSON spec ({@code {"type": "records", ...}}). */
  public org.pal.core.spi.DatasetSource dataset(JsonNode spec) {
    return create(org.pal.core.spi.ExtensionPoint.DATASET, spec, new BuildContext(this, null, "", "", 0, 0, 0, 0, 1, "dataset"));
  }

  public ObjectMapper mapper() {
    return mapper;
  }
}
