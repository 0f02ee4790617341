package org.pal.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.eclipse.jetty.util.Fields;
import org.pal.api.Dataset;
import org.pal.api.PalApi;
import org.pal.api.PrototypeRanking;
import org.pal.api.RewardModel;
import org.pal.api.User;
import org.pal.api.UserMap;
import org.pal.core.PalException;
import org.pal.core.config.Json;

/**
 * The read routes behind the web page ({@code GET /}): the page itself and its script, what the
 * model is ({@code /v1/model}), what each prototype likes ({@code /v1/prototypes}) and where the
 * users sit ({@code /v1/users}). The computing is the library's ({@link PrototypeRanking},
 * {@link UserMap}); these handlers parse, call and print.
 */
final class WebRoutes {
  /** Distinct training (prompt, response) pairs ranked per prototype: enough to find the extremes, bounded in time. */
  static final int RANKING_CAP = 5000;
  private static final int RANKING_KEEP = 20;
  private static final Pattern ASSET = Pattern.compile("[a-z0-9-]{1,40}\\.(html|js|css|svg)");

  private final RewardModel model;
  private final ServerSettings settings;
  private final UserService users;
  private final UserStore store;
  private final ObjectMapper json;
  private final Path dataset;
  private final Map<String, byte[]> assets = new ConcurrentHashMap<>();
  private PrototypeRanking ranking;
  private ApiError rankingError;
  private Dataset training;
  private String trainingError;

  /** A static file of the page: its media type and bytes. */
  record Asset(String contentType, String body) {}

  WebRoutes(RewardModel model, ServerSettings settings, UserService users, UserStore store, ObjectMapper json, Path dataset) {
    this.model = model;
    this.settings = settings;
    this.users = users;
    this.store = store;
    this.json = json;
    this.dataset = dataset;
  }

  /** {@code /} is the page; {@code /web/NAME} its other files, from the jar (nothing is fetched from elsewhere). */
  Asset asset(String name) {
    if (!ASSET.matcher(name).matches()) throw ApiError.notFound("path", "(" + name.length() + " chars)", "no such file of the page");
    byte[] b = assets.computeIfAbsent(name, n -> {
      try (InputStream in = WebRoutes.class.getResourceAsStream("web/" + n)) {
        return in == null ? new byte[0] : in.readAllBytes();
      } catch (IOException e) {
        return new byte[0];
      }
    });
    if (b.length == 0) throw ApiError.notFound("path", "(" + name.length() + " chars)", "no such file of the page");
    String ext = name.substring(name.lastIndexOf('.') + 1);
    String type = switch (ext) {
      case "html" -> "text/html; charset=utf-8";
      case "js" -> "text/javascript; charset=utf-8";
      case "css" -> "text/css; charset=utf-8";
      default -> "image/svg+xml";
    };
    return new Asset(type, new String(b, StandardCharsets.UTF_8));
  }

  /** The model's type, K, encoder and provenance, the user counts, and the limits and batching window a client should respect. */
  JsonNode model() {
    ObjectNode o = json.createObjectNode();
    describe(model, o);
    o.put("enrolledUsers", users.size());
    o.put("users", model.users().size() + users.size());
    ArrayNode z = o.putArray("zeroShotWeights");
    for (double v : model.zeroShotWeights()) z.add(v);
    var p = model.provenance();
    if (p == null) {
      o.putNull("provenance");
    } else {
      ObjectNode pv = o.putObject("provenance");
      pv.put("seed", p.seed()).put("dataHash", p.dataHash()).put("version", p.version()).put("createdAt", p.createdAt());
      pv.set("extra", Json.mapper().valueToTree(p.extra() == null ? Map.of() : p.extra()));
    }
    o.set("dataset", model.dataset() == null ? null : model.dataset().deepCopy());
    if (dataset != null) o.put("datasetOverride", dataset.toString());
    ObjectNode s = o.putObject("server");
    s.put("batchWindowMicros", settings.batchWindowMicros()).put("maxResponses", settings.maxResponses())
        .put("maxCandidates", settings.maxCandidates()).put("maxTextChars", settings.maxTextChars())
        .put("maxComparisons", settings.maxComparisons()).put("tokenRequired", settings.token() != null);
    return o;
  }

  /** The model part of /health and /v1/model. */
  static void describe(RewardModel model, ObjectNode m) {
    m.put("type", model.type()).put("k", model.k()).put("itemDim", model.itemDim()).put("promptDim", model.promptDim());
    m.put("prompts", model.hasPrompts());
    var in = model.inputs();
    if (in == null || in.items() == null) {
      m.put("encoder", "vectors");
    } else {
      m.put("encoder", in.items().config().path("type").asText());
      m.put("encoderModel", in.items().config().path("model").asText("builtin:all-minilm-l6-v2"));
      m.put("encoderFingerprint", in.items().fingerprint());
    }
    m.put("modelUsers", model.users().size());
  }

  /** Per prototype, the {@code n} training responses it rewards most and least (ranked once, on first use). */
  JsonNode prototypes(Fields query) {
    int n = intParam(query, "n", 5, 1, RANKING_KEEP);
    PrototypeRanking r = ranking();
    ObjectNode o = json.createObjectNode();
    o.put("file", r.file().toString()).put("rows", r.rows()).put("ranked", r.ranked()).put("capped", r.capped()).put("cap", RANKING_CAP);
    ArrayNode ps = o.putArray("prototypes");
    for (PrototypeRanking.Prototype p : r.prototypes()) {
      ObjectNode po = ps.addObject();
      po.put("index", p.index());
      entries(po.putArray("highest"), p.highest(), n);
      entries(po.putArray("lowest"), p.lowest(), n);
    }
    return o;
  }

  private synchronized PrototypeRanking ranking() {
    if (ranking != null) return ranking;
    if (rankingError != null) throw rankingError;
    try {
      ranking = PrototypeRanking.of(model, PrototypeRanking.trainingResponses(model, dataset, RANKING_CAP), RANKING_KEEP);
      return ranking;
    } catch (PalException e) {
      ApiError a = ApiError.of(e);
      // the data will not appear while the server runs: the same answer every time, without re-reading
      rankingError = new ApiError(a.status == 400 ? 404 : a.status, a.field, a.value, a.getMessage());
      throw rankingError;
    }
  }

  /**
   * A user's accuracy on their held-out pairs, where known: for the model's users when the data it
   * was trained on can be reopened (loaded once, on first use); never for users enrolled here (all
   * their answers fit them). Not knowing is an answer (accuracy null, with the reason), not an error.
   */
  JsonNode heldOut(String id) {
    ObjectNode o = json.createObjectNode();
    o.put("user", id);
    String reason;
    if (store.get(id) != null) {
      reason = "enrolled here: every answer was used to fit the user, none is held out";
    } else if (!model.hasUser(id)) {
      throw ApiError.notFound("user", id, "is not a user of this model or this server");
    } else {
      Dataset d = training();
      RewardModel.HeldOut h = d == null ? null : model.heldOut(d, id);
      if (h != null) {
        o.put("accuracy", h.accuracy()).put("pairs", h.pairs());
        return o;
      }
      reason = d == null ? trainingError : "the user has no test pairs in the training data";
    }
    o.putNull("accuracy").put("pairs", 0).put("reason", reason);
    return o;
  }

  private synchronized Dataset training() {
    if (training == null && trainingError == null) {
      try {
        training = PalApi.create().trainingData(model);
      } catch (PalException e) {
        trainingError = "the training data cannot be reopened (" + e.getMessage() + ")";
      }
    }
    return training;
  }

  private static void entries(ArrayNode a, List<PrototypeRanking.Entry> es, int n) {
    for (int i = 0; i < Math.min(n, es.size()); i++) {
      PrototypeRanking.Entry e = es.get(i);
      ObjectNode o = a.addObject();
      if (e.prompt() == null) o.putNull("prompt"); else o.put("prompt", e.prompt());
      o.put("response", e.response()).put("reward", e.reward());
      if (e.thumbnail() != null) o.put("thumbnail", e.thumbnail());
    }
  }

  /**
   * Every user (the model's and those enrolled here) on the map: {@code q} filters ids,
   * {@code limit} caps the points drawn (a stated sample beyond it), {@code bins} sizes the grid
   * that then counts all of them.
   */
  JsonNode users(Fields query) {
    String q = query.getValue("q");
    if (q != null && q.length() > 128) throw ApiError.bad("q", "(" + q.length() + " chars)", "search for at most 128 characters of a user id");
    int limit = intParam(query, "limit", 2000, 1, 20_000);
    int bins = intParam(query, "bins", 40, 1, 200);
    List<String> ids = new ArrayList<>(model.users());
    List<UserStore.StoredUser> enrolled = store.all();
    List<double[]> w = new ArrayList<>(ids.size() + enrolled.size());
    for (String id : model.users()) w.add(model.weights(User.id(id)));
    Map<String, Integer> counts = new java.util.HashMap<>();
    for (UserStore.StoredUser u : enrolled) {
      ids.add(u.id());
      w.add(u.weights());
      counts.put(u.id(), u.comparisons().size());
    }
    UserMap.View v = UserMap.of(model.k(), ids, w.toArray(double[][]::new)).view(q, limit, bins);
    ObjectNode o = json.createObjectNode();
    o.put("projection", v.projection()).put("k", v.k()).put("total", v.total()).put("matched", v.matched())
        .put("shown", v.points().size()).put("sampled", v.sampled());
    if (v.sampling() == null) o.putNull("sampling"); else o.put("sampling", v.sampling());
    o.set("vertices", matrix(v.vertices()));
    o.set("axes", v.axes() == null ? null : matrix(v.axes()));
    o.set("explained", v.explained() == null ? null : row(v.explained()));
    if (v.bins() == null) {
      o.putNull("bins");
    } else {
      UserMap.Bins b = v.bins();
      ObjectNode bo = o.putObject("bins");
      bo.put("size", b.size()).put("minX", b.minX()).put("maxX", b.maxX()).put("minY", b.minY()).put("maxY", b.maxY());
      ArrayNode c = bo.putArray("counts"), d = bo.putArray("dominant");
      for (int x : b.counts()) c.add(x);
      for (int x : b.dominant()) d.add(x);
    }
    ArrayNode us = o.putArray("users");
    for (UserMap.Point p : v.points()) {
      ObjectNode u = us.addObject();
      Integer n = counts.get(p.id());
      u.put("id", p.id()).put("source", n == null ? "model" : "enrolled").put("comparisons", n == null ? 0 : n)
          .put("dominant", p.dominant()).put("x", p.x()).put("y", p.y());
      u.set("weights", row(p.weights()));
    }
    return o;
  }

  private ArrayNode row(double[] r) {
    ArrayNode a = json.createArrayNode();
    for (double v : r) a.add(v);
    return a;
  }

  private ArrayNode matrix(double[][] m) {
    ArrayNode a = json.createArrayNode();
    for (double[] r : m) a.add(row(r));
    return a;
  }

  private static int intParam(Fields query, String name, int dflt, int min, int max) {
    String s = query.getValue(name);
    if (s == null) return dflt;
    int v;
    try {
      v = Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw ApiError.bad(name, s.length() > 20 ? "(" + s.length() + " chars)" : s, "give a whole number " + min + ".." + max);
    }
    if (v < min || v > max) throw ApiError.bad(name, v, "give a whole number " + min + ".." + max);
    return v;
  }
}
