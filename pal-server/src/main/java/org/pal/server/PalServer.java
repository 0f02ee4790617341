package org.pal.server;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.pal.api.ActiveQuery;
import org.pal.api.Input;
import org.pal.api.RewardModel;
import org.pal.api.User;
import org.pal.api.UserPosterior;
import org.pal.core.PalException;

/**
 * {@code pal serve}: the HTTP shell over a {@link RewardModel}, a {@link UserStore} and a
 * {@link UserPosterior}. Handlers parse, call and print; nothing is logged per request, and no
 * prompt, response or comparison text is ever logged.
 *
 * <pre>
 * GET    /health                      status, model type, K, encoder, users (no token needed)
 * POST   /v1/rewards                  {"user"|"weights"|"zero_shot", "prompt", "responses"} or {"requests": [...]}
 * POST   /get_reward                  OpenRLHF's remote reward model: {"query", "prompts", "labels"} (+ "user" / "users" / ?user=)
 * POST   /v1/users/{id}/comparisons   {"comparisons": [{"prompt", "chosen", "rejected"}]}: refit, durable before the 200
 * GET    /v1/users/{id}               weights, comparisons, uncertainty
 * DELETE /v1/users/{id}               forget the user and their comparisons
 * POST   /v1/users/{id}/next-query    {"prompt", "candidates"}: the most informative pair to ask
 * GET    /metrics                     Prometheus text format
 * GET    /                            the web page (and /web/NAME, its script; no token needed: they hold no data)
 * GET    /v1/model                    type, K, encoder, provenance, user counts, limits, batching window
 * GET    /v1/prototypes?n=            per prototype, the training responses it rewards most and least
 * GET    /v1/users?q=&amp;limit=&amp;bins=     every user on the simplex map (sampled and binned beyond limit)
 * GET    /v1/users/{id}/held-out      the user's accuracy on their held-out pairs, where known
 * </pre>
 */
public final class PalServer implements AutoCloseable {
  private static final Set<String> SCORE_FIELDS = Set.of("user", "weights", "zero_shot", "prompt", "responses");
  private static final Set<String> GET_REWARD_FIELDS = Set.of("query", "prompts", "labels", "user", "users");
  private static final long WAIT_SECONDS = 30;

  private final RewardModel model;
  private final ServerSettings settings;
  private final Metrics metrics = new Metrics();
  private final ObjectMapper json;
  private final JsonInputs inputs;
  private final EmbeddingMemo memo;
  private final Batcher batcher;
  private final UserStore store;
  private final UserService users;
  private final WebRoutes web;
  private final Server server;
  private final byte[] expectedAuth;

  private PalServer(RewardModel model, Path state, ServerSettings s, Path dataset) {
    this.model = model;
    this.settings = s;
    this.json = new ObjectMapper();
    json.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    json.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    json.getFactory().disable(JsonParser.Feature.INCLUDE_SOURCE_IN_LOCATION); // parse errors never quote the body
    this.inputs = new JsonInputs(model, s);
    this.memo = new EmbeddingMemo(model, s.memoEntries(), metrics);
    this.store = new UserStore(state, s.snapshotEvery());
    UserPosterior posterior = new UserPosterior(model, new UserPosterior.Options(s.priorStd(), UserPosterior.Options.DEFAULT.iterations()));
    this.users = new UserService(model, posterior, store, memo, inputs, metrics, s.maxComparisons());
    this.batcher = new Batcher(model, memo, metrics, s);
    this.web = new WebRoutes(model, s, users, store, json, dataset);
    this.expectedAuth = s.token() == null ? null : ("Bearer " + s.token()).getBytes(StandardCharsets.UTF_8);
    QueuedThreadPool pool = new QueuedThreadPool(128, 8);
    pool.setName("pal-http");
    pool.setDaemon(true);
    this.server = new Server(pool);
    HttpConfiguration hc = new HttpConfiguration();
    hc.setSendServerVersion(false);
    hc.setSendXPoweredBy(false);
    ServerConnector c = new ServerConnector(server, 1, 1, new HttpConnectionFactory(hc));
    c.setHost(s.host());
    c.setPort(s.port());
    server.addConnector(c);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        serve(request, response, callback);
        return true;
      }
    });
  }

  /**
   * Opens the user state (replaying its log), then binds. Without a token only a loopback address is
   * accepted.
   */
  public static PalServer start(RewardModel model, Path state, ServerSettings s) {
    return start(model, state, s, null);
  }

  /**
   * The same, with the record file the model was trained on for the web page's "what each prototype
   * likes" ({@code dataset}; null: the file the model archive names, when it names one).
   */
  public static PalServer start(RewardModel model, Path state, ServerSettings s, Path dataset) {
    requireSafeBind(s);
    if (dataset != null && !java.nio.file.Files.isRegularFile(dataset)) {
      throw PalException.badInput("dataset", dataset, "is not a file; give the record file (.jsonl, .csv or .parquet) the model was trained on");
    }
    PalServer p = new PalServer(model, state, s, dataset);
    try {
      p.server.start();
    } catch (Exception e) {
      p.close();
      throw PalException.environment("cannot listen on " + s.host() + ":" + s.port() + " (" + e.getMessage() + ")", e);
    }
    return p;
  }

  /** Fails unless the settings bind loopback only or carry a token. */
  public static void requireSafeBind(ServerSettings s) {
    if (s.token() != null) return;
    boolean loopback;
    try {
      InetAddress[] all = InetAddress.getAllByName(s.host());
      loopback = all.length > 0;
      for (InetAddress a : all) loopback &= a.isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw PalException.badInput("host", s.host(), "is not an address this machine knows");
    }
    if (!loopback) {
      throw PalException.badInput("host", s.host(), "without a token the server binds loopback only (127.0.0.1, ::1); give a token file to serve other addresses");
    }
  }

  public int port() {
    return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }

  public UserStore store() {
    return store;
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      // stopping anyway
    }
    batcher.close();
    store.close();
  }

  // ---- dispatch

  private record Answer(int status, String contentType, String body) {}

  private void serve(Request req, Response res, Callback cb) {
    long t0 = System.nanoTime();
    String route = "unknown";
    Answer a;
    try {
      String path = req.getHttpURI().getPath();
      String method = req.getMethod();
      String[] seg = path == null ? new String[0] : path.substring(1).split("/", -1);
      route = routeName(seg);
      if (!route.equals("health") && !route.equals("page")) authorize(req);
      a = switch (route) {
        case "health" -> { requireMethod(method, "GET"); yield ok(health()); }
        case "metrics" -> { requireMethod(method, "GET"); yield new Answer(200, Metrics.contentType(), metrics.scrape()); }
        case "rewards" -> { requireMethod(method, "POST"); yield new Answer(200, "application/json", rewards(body(req))); }
        case "get_reward" -> { requireMethod(method, "POST"); yield ok(getReward(body(req), Request.extractQueryParameters(req).getValue("user"))); }
        case "user" -> {
          String id = UserService.checkId(seg[2]);
          if (method.equals("GET")) yield ok(userView(id));
          if (method.equals("DELETE")) yield ok(delete(id));
          throw new ApiError(405, "method", method, "use GET or DELETE");
        }
        case "comparisons" -> { requireMethod(method, "POST"); yield ok(comparisons(UserService.checkId(seg[2]), body(req))); }
        case "next-query" -> { requireMethod(method, "POST"); yield ok(nextQuery(UserService.checkId(seg[2]), body(req))); }
        case "page" -> {
          requireMethod(method, "GET");
          WebRoutes.Asset f = web.asset(seg.length == 1 ? "index.html" : seg[1]);
          yield new Answer(200, f.contentType(), f.body());
        }
        case "model" -> { requireMethod(method, "GET"); yield ok(web.model()); }
        case "prototypes" -> { requireMethod(method, "GET"); yield ok(web.prototypes(Request.extractQueryParameters(req))); }
        case "users" -> { requireMethod(method, "GET"); yield ok(web.users(Request.extractQueryParameters(req))); }
        case "held-out" -> { requireMethod(method, "GET"); yield ok(web.heldOut(UserService.checkId(seg[2]))); }
        default -> throw ApiError.notFound("path", "(" + (path == null ? 0 : path.length()) + " chars)",
            "no such route; see GET /health, POST /v1/rewards, POST /get_reward, /v1/users/{id}[/comparisons|/next-query], GET /metrics, GET / (the web page)");
      };
    } catch (ApiError e) {
      a = error(e);
    } catch (PalException e) {
      a = error(ApiError.of(e));
    } catch (RuntimeException e) {
      a = error(new ApiError(500, null, null, "internal error (" + e.getClass().getSimpleName() + ")"));
    }
    res.setStatus(a.status());
    res.getHeaders().put(HttpHeader.CONTENT_TYPE, a.contentType());
    if (a.status() == 401) res.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
    // An error may leave the request's body unread; Jetty then drops the connection after the answer,
    // and a keep-alive client reusing it would see "no bytes". Say so up front: the client reconnects.
    if (a.status() >= 400 && req.getLength() != 0) res.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE);
    metrics.count(route, a.status(), System.nanoTime() - t0);
    byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
    res.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    res.write(true, ByteBuffer.wrap(bytes), cb);
  }

  private static String routeName(String[] seg) {
    if (seg.length == 1 && seg[0].equals("health")) return "health";
    if (seg.length == 1 && seg[0].equals("metrics")) return "metrics";
    if (seg.length == 1 && seg[0].equals("get_reward")) return "get_reward";
    if (seg.length == 2 && seg[0].equals("v1") && seg[1].equals("rewards")) return "rewards";
    if (seg.length == 1 && seg[0].isEmpty() || seg.length == 2 && seg[0].equals("web")) return "page";
    if (seg.length == 2 && seg[0].equals("v1") && seg[1].equals("model")) return "model";
    if (seg.length == 2 && seg[0].equals("v1") && seg[1].equals("prototypes")) return "prototypes";
    if (seg.length == 2 && seg[0].equals("v1") && seg[1].equals("users")) return "users";
    if (seg.length >= 3 && seg[0].equals("v1") && seg[1].equals("users")) {
      if (seg.length == 3) return "user";
      if (seg.length == 4 && seg[3].equals("comparisons")) return "comparisons";
      if (seg.length == 4 && seg[3].equals("next-query")) return "next-query";
      if (seg.length == 4 && seg[3].equals("held-out")) return "held-out";
    }
    return "unknown";
  }

  private void authorize(Request req) {
    if (expectedAuth == null) return;
    String h = req.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (h == null || !MessageDigest.isEqual(h.getBytes(StandardCharsets.UTF_8), expectedAuth)) {
      throw new ApiError(401, "Authorization", h == null ? "missing" : "(wrong)", "this route needs Authorization: Bearer <token>");
    }
  }

  private static void requireMethod(String method, String want) {
    if (!method.equals(want)) throw new ApiError(405, "method", method, "use " + want);
  }

  private Answer ok(JsonNode body) {
    return new Answer(200, "application/json", body.toString());
  }

  private Answer error(ApiError e) {
    ObjectNode root = json.createObjectNode();
    ObjectNode err = root.putObject("error");
    if (e.field == null) err.putNull("field"); else err.put("field", e.field);
    if (e.value == null) err.putNull("value"); else err.put("value", e.value);
    err.put("message", e.getMessage());
    return new Answer(e.status, "application/json", root.toString());
  }

  /** Oversized bodies up to this many bytes are read away before the 413. */
  private static final long DRAIN_LIMIT = 16L << 20;

  /**
   * Reads an oversized body away (when it is at most {@link #DRAIN_LIMIT}) so that the connection
   * closes cleanly after the 413: a socket closed with unread bytes is reset, and the reset can
   * destroy the answer before the client reads it. Larger bodies are not read; their senders may
   * see the reset instead of the 413.
   */
  private static void drain(Request req, long declared) {
    if (declared > DRAIN_LIMIT) return;
    try (InputStream in = Request.asInputStream(req)) {
      byte[] sink = new byte[64 << 10];
      long total = 0;
      for (int n; total <= DRAIN_LIMIT && (n = in.read(sink)) > 0; ) total += n;
    } catch (IOException | RuntimeException e) {
      // the 413 goes out anyway
    }
  }

  /** The body as JSON: at most maxBodyBytes (413 beyond), well-formed, one value (400 otherwise). */
  private JsonNode body(Request req) {
    long declared = req.getLength();
    int max = settings.maxBodyBytes();
    if (declared > max) {
      drain(req, declared);
      throw new ApiError(413, "body", declared + " bytes", "request bodies are capped at " + max + " bytes");
    }
    byte[] buf;
    try (InputStream in = Request.asInputStream(req)) {
      if (declared >= 0) {
        // the usual case: read exactly the declared length into one array (no growing copies)
        buf = new byte[(int) declared];
        int got = in.readNBytes(buf, 0, buf.length);
        if (got < buf.length) throw ApiError.bad("body", got + " of " + declared + " bytes", "the body ended before its declared length");
      } else {
        buf = in.readNBytes(max + 1);
      }
    } catch (IOException e) {
      throw ApiError.bad("body", "unreadable", "the request body could not be read");
    }
    if (buf.length > max) {
      drain(req, -1);
      throw new ApiError(413, "body", "more than " + max + " bytes", "request bodies are capped at " + max + " bytes");
    }
    if (buf.length == 0) throw ApiError.bad("body", "empty", "give a JSON object");
    try {
      JsonNode n = json.readTree(buf);
      if (n == null || !n.isObject()) throw ApiError.bad("body", n == null ? "empty" : n.getNodeType().toString().toLowerCase(), "give a JSON object");
      return n;
    } catch (IOException e) {
      String what = e instanceof com.fasterxml.jackson.core.JsonProcessingException jp && jp.getLocation() != null
          ? "malformed JSON at line " + jp.getLocation().getLineNr() + ", column " + jp.getLocation().getColumnNr() : "malformed JSON";
      throw ApiError.bad("body", what, "give one well-formed JSON object (no duplicate keys, no NaN)");
    }
  }

  // ---- routes

  private JsonNode health() {
    ObjectNode o = json.createObjectNode();
    o.put("status", "ok");
    o.put("auth", expectedAuth != null); // the web page asks for the token before its first request
    ObjectNode m = o.putObject("model");
    WebRoutes.describe(model, m);
    o.put("users", users.size());
    return o;
  }

  /** One scoring request's weights, prompt and responses, validated; {@code where} prefixes field names. */
  private record Scoring(double[] weights, Input prompt, List<Input> responses) {}

  private Scoring scoring(JsonNode r, String where) {
    JsonInputs.only(r, where, SCORE_FIELDS);
    String p = where.isEmpty() ? "" : where + ".";
    JsonNode zs = r.get("zero_shot");
    if (zs != null && !zs.isBoolean()) throw ApiError.bad(p + "zero_shot", zs.getNodeType().toString().toLowerCase(), "give true or false");
    boolean zeroShot = zs != null && zs.booleanValue();
    double[] w = weights(r.get("user"), r.get("weights"), zeroShot, p);
    Input prompt = prompt(r.get("prompt"), p + "prompt");
    JsonNode rs = JsonInputs.array(r, "responses", where, 1, settings.maxResponses());
    List<Input> responses = new ArrayList<>(rs.size());
    for (int i = 0; i < rs.size(); i++) responses.add(inputs.value(rs.get(i), p + "responses[" + i + "]", false));
    return new Scoring(w, prompt, responses);
  }

  private Input prompt(JsonNode v, String field) {
    if (model.hasPrompts()) {
      if (v == null || v.isNull()) throw ApiError.bad(field, "missing", "this model conditions on prompts; give the prompt");
      return inputs.value(v, field, true);
    }
    if (v != null && !v.isNull()) throw ApiError.bad(field, "given", "this model was trained without prompts; leave the prompt out");
    return null;
  }

  private double[] weights(JsonNode user, JsonNode weights, boolean zeroShot, String p) {
    if (user != null && weights != null) throw ApiError.bad(p + "weights", "given with user", "give a user or weights, not both");
    if (weights != null) {
      if (!weights.isArray()) throw ApiError.bad(p + "weights", weights.getNodeType().toString().toLowerCase(), "give " + model.k() + " numbers on the simplex");
      if (weights.size() != model.k()) throw ApiError.bad(p + "weights", weights.size() + " values", "the model has K = " + model.k() + "; give " + model.k() + " weights");
      double[] w = new double[weights.size()];
      for (int i = 0; i < w.length; i++) {
        JsonNode e = weights.get(i);
        if (!e.isNumber()) throw ApiError.bad(p + "weights[" + i + "]", e.getNodeType().toString().toLowerCase(), "weights are numbers");
        w[i] = e.doubleValue();
      }
      try {
        return ((User.Weights) User.weights(w)).weights();
      } catch (PalException e) {
        ApiError a = ApiError.of(e);
        throw ApiError.bad(p + a.field, a.value, a.getMessage());
      }
    }
    if (user != null) {
      if (!user.isTextual()) throw ApiError.bad(p + "user", user.getNodeType().toString().toLowerCase(), "give the user id as a string");
      String id = UserService.checkId(user.textValue());
      double[] w = users.weightsOf(id);
      if (w != null) return w;
      if (zeroShot) return model.zeroShotWeights();
      throw ApiError.notFound(p + "user", id, "is not a user of this model or this server; enrol them, give weights, or set zero_shot: true");
    }
    if (zeroShot) return model.zeroShotWeights();
    throw ApiError.bad(p + "user", "missing", "give a user, weights, or zero_shot: true");
  }

  private String rewards(JsonNode body) {
    boolean batch = body.has("requests");
    List<Scoring> rs = new ArrayList<>();
    if (batch) {
      JsonInputs.only(body, "", Set.of("requests"));
      JsonNode a = JsonInputs.array(body, "requests", "", 1, 256);
      int total = 0;
      for (int i = 0; i < a.size(); i++) {
        Scoring s = scoring(a.get(i), "requests[" + i + "]");
        total += s.responses().size();
        rs.add(s);
      }
      if (total > 16 * settings.maxResponses()) throw ApiError.bad("requests", total + " responses", "at most " + 16 * settings.maxResponses() + " responses per call");
    } else {
      rs.add(scoring(body, ""));
    }
    List<double[]> out = await(rs);
    // written straight to text, without building a tree: this is the hot route
    StringWriter sw = new StringWriter(64 + 48 * out.size() * (1 + out.get(0).length));
    try (JsonGenerator g = json.getFactory().createGenerator(sw)) {
      if (batch) {
        g.writeStartObject();
        g.writeFieldName("results");
        g.writeStartArray();
      }
      for (int i = 0; i < rs.size(); i++) {
        double[] r = out.get(i);
        g.writeStartObject();
        g.writeFieldName("rewards");
        g.writeArray(r, 0, r.length);
        double[] w = rs.get(i).weights();
        g.writeFieldName("weights");
        g.writeArray(w, 0, w.length);
        if (r.length == 2) g.writeNumberField("preference", model.engine().link().probability(r[0] - r[1]));
        g.writeEndObject();
      }
      if (batch) {
        g.writeEndArray();
        g.writeEndObject();
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return sw.toString();
  }

  private List<double[]> await(List<Scoring> rs) {
    List<CompletableFuture<double[]>> fs = new ArrayList<>(rs.size());
    for (Scoring s : rs) {
      CompletableFuture<double[]> f = batcher.submit(s.weights(), s.prompt(), s.responses());
      if (f == null) throw new ApiError(503, "queue", "full", "the scoring queue is full; retry shortly");
      fs.add(f);
    }
    List<double[]> out = new ArrayList<>(fs.size());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    for (CompletableFuture<double[]> f : fs) {
      try {
        out.add(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      } catch (TimeoutException e) {
        throw new ApiError(503, "queue", "timeout", "scoring took longer than " + WAIT_SECONDS + " s; retry shortly");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ApiError(503, "queue", "interrupted", "the server is stopping");
      } catch (ExecutionException e) {
        if (e.getCause() instanceof PalException pe) throw ApiError.of(pe);
        if (e.getCause() instanceof ApiError ae) throw ae;
        throw new ApiError(500, null, null, "internal error while scoring");
      }
    }
    return out;
  }

  /**
   * OpenRLHF's remote reward model contract: {@code query} (texts; each the prompt followed by the
   * response), optional {@code prompts} (then the response is the query with its prompt prefix
   * removed) and {@code labels} (ignored); answers {@code rewards} (and {@code scores}, the same).
   * A {@code user} (for all) or {@code users} (one per query) field, or ?user=, picks whose rewards;
   * without one, zero-shot weights.
   */
  private JsonNode getReward(JsonNode body, String queryUser) {
    JsonInputs.only(body, "", GET_REWARD_FIELDS);
    JsonNode q = JsonInputs.array(body, "query", "", 1, 16 * settings.maxResponses());
    int n = q.size();
    JsonNode prompts = body.get("prompts");
    if (prompts != null && !prompts.isNull()) {
      if (!prompts.isArray() || prompts.size() != n) throw ApiError.bad("prompts", prompts.isArray() ? prompts.size() + " prompts" : prompts.getNodeType().toString().toLowerCase(), "give one prompt per query (" + n + ")");
    } else {
      prompts = null;
    }
    if (model.hasPrompts() && prompts == null) throw ApiError.bad("prompts", "missing", "this model conditions on prompts; send prompts with the queries");
    JsonNode user = body.get("user"), usersNode = body.get("users");
    if (user != null && usersNode != null) throw ApiError.bad("users", "given with user", "give user or users, not both");
    if (usersNode != null && (!usersNode.isArray() || usersNode.size() != n)) throw ApiError.bad("users", usersNode.isArray() ? usersNode.size() + " users" : usersNode.getNodeType().toString().toLowerCase(), "give one user per query (" + n + ")");
    if (user == null && queryUser != null) user = json.getNodeFactory().textNode(queryUser);
    List<Scoring> rs = new ArrayList<>(n);
    double[] shared = user == null ? model.zeroShotWeights() : weights(user, null, false, "");
    for (int i = 0; i < n; i++) {
      JsonNode qi = q.get(i);
      if (!qi.isTextual()) throw ApiError.bad("query[" + i + "]", qi.getNodeType().toString().toLowerCase(), "queries are strings");
      String text = qi.textValue();
      Input prompt = null;
      if (prompts != null) {
        JsonNode pi = prompts.get(i);
        if (!pi.isTextual()) throw ApiError.bad("prompts[" + i + "]", pi.getNodeType().toString().toLowerCase(), "prompts are strings");
        if (text.startsWith(pi.textValue())) text = text.substring(pi.textValue().length());
        if (model.hasPrompts()) prompt = inputs.value(pi, "prompts[" + i + "]", true);
      }
      double[] w = usersNode == null ? shared : weights(usersNode.get(i), null, false, "users[" + i + "].");
      rs.add(new Scoring(w, prompt, List.of(inputs.value(json.getNodeFactory().textNode(text), "query[" + i + "]", false))));
    }
    List<double[]> out = await(rs);
    ObjectNode o = json.createObjectNode();
    ArrayNode r = o.putArray("rewards"), s = o.putArray("scores");
    for (double[] v : out) {
      r.add(v[0]);
      s.add(v[0]);
    }
    return o;
  }

  private JsonNode comparisons(String id, JsonNode body) {
    JsonInputs.only(body, "", Set.of("comparisons"));
    JsonNode cs = JsonInputs.array(body, "comparisons", "", 1, settings.maxComparisons());
    return view(users.enrol(id, cs));
  }

  private JsonNode userView(String id) {
    UserStore.StoredUser u = users.get(id);
    if (u != null) return view(u);
    if (users.isModelUser(id)) {
      ObjectNode o = json.createObjectNode();
      o.put("user", id).put("source", "model").put("comparisons", 0);
      ArrayNode w = o.putArray("weights");
      for (double v : model.weights(User.id(id))) w.add(v);
      o.putNull("uncertainty");
      return o;
    }
    throw ApiError.notFound("user", id, "is not a user of this model or this server");
  }

  private JsonNode view(UserStore.StoredUser u) {
    ObjectNode o = json.createObjectNode();
    o.put("user", u.id()).put("source", "enrolled").put("comparisons", u.comparisons().size());
    ArrayNode w = o.putArray("weights");
    for (double v : u.weights()) w.add(v);
    ObjectNode un = o.putObject("uncertainty");
    ArrayNode sd = un.putArray("weightStd");
    double t = 0;
    for (double v : u.weightStd()) {
      sd.add(v);
      t += v * v;
    }
    un.put("total", Math.sqrt(t));
    return o;
  }

  private JsonNode delete(String id) {
    if (!users.delete(id)) {
      if (users.isModelUser(id)) throw new ApiError(409, "user", id, "is a user the model was trained on; only users enrolled here can be deleted");
      throw ApiError.notFound("user", id, "is not a user of this server");
    }
    ObjectNode o = json.createObjectNode();
    o.put("user", id).put("deleted", true);
    return o;
  }

  private JsonNode nextQuery(String id, JsonNode body) {
    JsonInputs.only(body, "", Set.of("prompt", "candidates"));
    UserPosterior.Fit fit = users.posteriorOf(id);
    Input prompt = prompt(body.get("prompt"), "prompt");
    JsonNode cs = JsonInputs.array(body, "candidates", "", 2, settings.maxCandidates());
    List<Input> c = new ArrayList<>(cs.size());
    for (int i = 0; i < cs.size(); i++) c.add(inputs.value(cs.get(i), "candidates[" + i + "]", false));
    ActiveQuery.Choice ch = users.nextQuery(fit, prompt, c);
    ObjectNode o = json.createObjectNode();
    o.put("user", id).put("comparisons", fit.comparisons());
    ArrayNode pair = o.putArray("pair");
    pair.add(ch.first()).add(ch.second());
    o.put("information", ch.information()).put("probability", ch.probability()).put("marginStd", ch.marginStd());
    return o;
  }
}
