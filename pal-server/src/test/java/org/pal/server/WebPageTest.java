package org.pal.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;

/**
 * The web page in a real browser (Debian's chromium through its chromedriver, headless) against a
 * real server on loopback with a small model trained here (K = 3: cat, dog and fish lovers), behind
 * a token: the page loads without console errors, shows every user, "Try it" shows the rewards of
 * POST /v1/rewards, five answers enrol a user the API returns, "Forget me" deletes them; and at
 * 100,000 users the map is a stated sample over bins. Screenshots of the four views go to
 * target/web-screenshots (and to -Dpal.screenshots=DIR when given); -Dpal.web.timing=true prints the
 * 100,000-user render time.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebPageTest {
  static final String TOKEN = "web-token-0123456789abcdef";
  static final Path CHROMIUM = Path.of("/usr/bin/chromium"), CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final String[] FISH = {"a goldfish swims in its bowl", "the fish tank glows at night", "a tiny fish hides in the coral",
      "my fish blows bubbles", "a koi fish circles the pond", "a silver fish darts around"};

  @TempDir static Path dir;
  static PalApi pal;
  static RewardModel model;
  static PalServer server;
  static Http http;
  static ChromeDriver driver;
  static WebDriverWait wait;
  static String base;

  @BeforeAll
  static void start() throws Exception {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      fail("the web page test needs Debian's chromium and chromium-driver (" + CHROMIUM + ", " + CHROMEDRIVER + "); install them with: "
          + "sudo apt-get update && sudo apt-get install -y chromium chromium-driver (or run .ci/test-deps)");
    }
    pal = PalApi.create();
    Path records = writeTastes(dir.resolve("tastes.jsonl"), 30, 24, 5);
    var data = pal.dataset(Json.parse("{\"type\": \"records\", \"path\": " + Json.write(Json.mapper().getNodeFactory().textNode(records.toString()))
        + ", \"encoder\": {\"type\": \"server-words\"}}"), 0);
    PalConfig cfg = PalConfig.parse("{\"model\": {\"type\": \"pal-b\", \"k\": 3, \"dim\": 8}, \"trainer\": {\"epochs\": 30, \"batchSize\": 64, \"patience\": 30}}");
    try (var m = pal.train(cfg, data).model()) {
      m.save(dir.resolve("model"));
    }
    model = pal.load(dir.resolve("model"));
    server = PalServer.start(model, dir.resolve("state"), ServerSettings.defaults().withPort(0).withToken(TOKEN));
    http = new Http(server.port(), TOKEN);
    base = "http://127.0.0.1:" + server.port();
    driver = browser(dir.resolve("chrome-profile"));
    wait = new WebDriverWait(driver, Duration.ofSeconds(30));
  }

  /** Headless chromium, offline: no Selenium Manager (the driver's path is given), no background connections. */
  static ChromeDriver browser(Path profile) {
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    ChromeOptions o = new ChromeOptions();
    o.setBinary(CHROMIUM.toFile());
    o.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1000", "--user-data-dir=" + profile);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, java.util.logging.Level.ALL);
    o.setCapability("goog:loggingPrefs", logs);
    return new ChromeDriver(service, o);
  }

  @AfterAll
  static void stop() {
    if (driver != null) driver.quit();
    if (server != null) server.close();
  }

  /** Users u0.. in three tastes (cats, dogs, fish by u mod 3); each pair shows two kinds, the favourite wins. */
  static Path writeTastes(Path file, int users, int pairsPerUser, long seed) throws Exception {
    String[][] kinds = {ServerTestPlugin.CATS, ServerTestPlugin.DOGS, FISH};
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder();
    for (int u = 0; u < users; u++) {
      int fav = u % 3;
      for (int p = 0; p < pairsPerUser; p++) {
        int a = r.nextInt(3), b = (a + 1 + r.nextInt(2)) % 3;
        String left = kinds[a][r.nextInt(6)], right = kinds[b][r.nextInt(6)];
        int label = a == fav ? 1 : b == fav ? -1 : (a < b ? 1 : -1);
        sb.append(String.format("{\"user_id\": \"u%d\", \"prompt\": \"%s\", \"left\": \"%s\", \"right\": \"%s\", \"label\": %d}%n",
            u, ServerTestPlugin.PROMPTS[r.nextInt(3)], left, right, label));
      }
    }
    Files.writeString(file, sb);
    return file;
  }

  static WebElement byId(String id) {
    return driver.findElement(By.id(id));
  }

  static void tab(String view) {
    driver.findElement(By.cssSelector("#tabs button[data-view='" + view + "']")).click();
    wait.until(d -> byId("view-" + view).isDisplayed());
  }

  static List<String> consoleErrors() {
    List<String> out = new ArrayList<>();
    for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
      if (e.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) out.add(e.getLevel() + " " + e.getMessage());
    }
    return out;
  }

  static void screenshot(String name) throws Exception {
    byte[] png = driver.getScreenshotAs(OutputType.BYTES);
    assertThat(png.length).as(name + " screenshot size").isLessThan(300 * 1024);
    Path out = Path.of("target", "web-screenshots");
    Files.createDirectories(out);
    Files.write(out.resolve(name + ".png"), png);
    String extra = System.getProperty("pal.screenshots");
    if (extra != null && !extra.isBlank()) {
      Files.createDirectories(Path.of(extra));
      Files.write(Path.of(extra).resolve(name + ".png"), png);
    }
  }

  static double[] doubles(JsonNode a) {
    double[] d = new double[a.size()];
    for (int i = 0; i < d.length; i++) d[i] = a.get(i).doubleValue();
    return d;
  }

  @Test
  @Order(1)
  void thePageAsksForTheTokenOnceAndShowsTheModel() throws Exception {
    driver.get(base + "/");
    wait.until(d -> byId("token-form").isDisplayed());
    byId("token-input").sendKeys("wrong-token-0123456789");
    byId("token-submit").click();
    wait.until(d -> !byId("token-error").getText().isEmpty());
    // the refused token is the only thing the console reports (the browser logs the 401)
    assertThat(consoleErrors()).isNotEmpty().allMatch(e -> e.contains("/v1/model") && e.contains("401"));
    byId("token-input").clear();
    byId("token-input").sendKeys(TOKEN);
    byId("token-submit").click();
    wait.until(d -> "true".equals(byId("model-facts").findElement(By.xpath("/html/body")).getDomAttribute("data-ready")));
    assertThat(byId("token-form").isDisplayed()).isFalse();
    // the token lives in the page's memory only
    JavascriptExecutor js = driver;
    assertThat(js.executeScript("return window.localStorage.length + window.sessionStorage.length + document.cookie.length")).isEqualTo(0L);

    String facts = byId("model-facts").getText();
    int n = model.users().size();
    assertThat(facts).contains("pal-b").contains("server-words").contains(n + " (" + n + " from training, 0 enrolled here)");
    // what each prototype likes: the API's ranking, shown as it is
    wait.until(d -> driver.findElements(By.cssSelector("#prototypes .card")).size() == 3);
    JsonNode api = http.get("/v1/prototypes?n=5").json();
    for (int k = 0; k < 3; k++) {
      List<WebElement> hi = driver.findElements(By.cssSelector("#prototypes .card[data-prototype='" + k + "'] ol.highest li .response"));
      List<WebElement> lo = driver.findElements(By.cssSelector("#prototypes .card[data-prototype='" + k + "'] ol.lowest li .response"));
      assertThat(hi).hasSize(5);
      for (int i = 0; i < 5; i++) {
        assertThat(hi.get(i).getText()).isEqualTo(api.get("prototypes").get(k).get("highest").get(i).get("response").asText());
        assertThat(lo.get(i).getText()).isEqualTo(api.get("prototypes").get(k).get("lowest").get(i).get("response").asText());
      }
    }
    assertThat(byId("proto-note").getText()).contains("tastes.jsonl");
    screenshot("model");
    assertThat(consoleErrors()).as("browser console").isEmpty();
  }

  @Test
  @Order(2)
  void theSimplexShowsEveryUserAndAClickShowsTheirWeights() throws Exception {
    tab("users");
    wait.until(d -> byId("user-map").getDomAttribute("data-points") != null);
    List<WebElement> pts = driver.findElements(By.cssSelector("#user-map circle.pt"));
    assertThat(pts).hasSize(model.users().size());
    assertThat(pts.stream().map(p -> p.getDomAttribute("data-id")).sorted().toList()).isEqualTo(model.users().stream().sorted().toList());
    assertThat(byId("users-note").getText()).contains("Every user is drawn (" + model.users().size() + ")").contains("ternary");
    // three tastes: every prototype dominates somebody, so the map has three colours
    assertThat(pts.stream().map(p -> p.getDomAttribute("fill")).distinct().count()).isEqualTo(3);
    String who = model.users().get(3);
    WebElement u = driver.findElement(By.cssSelector("#user-map circle.pt[data-id='" + who + "']"));
    new org.openqa.selenium.interactions.Actions(driver).moveToElement(u).click().perform();
    wait.until(d -> byId("user-detail").getText().contains(who));
    JsonNode api = http.get("/v1/users/" + who).json();
    List<WebElement> cells = driver.findElements(By.cssSelector("#user-weights td.num"));
    assertThat(cells).hasSize(3);
    for (int k = 0; k < 3; k++) assertThat(Double.parseDouble(cells.get(k).getText())).isCloseTo(api.get("weights").get(k).asDouble(), within(5e-5));
    wait.until(d -> byId("user-accuracy").getText().contains("test pairs"));
    JsonNode held = http.get("/v1/users/" + who + "/held-out").json();
    assertThat(byId("user-accuracy").getText()).isEqualTo(String.format(java.util.Locale.ROOT, "held-out accuracy: %.3f on %d test pairs",
        held.get("accuracy").asDouble(), held.get("pairs").asInt()));
    // search by id
    byId("user-search").sendKeys("u1");
    long matches = model.users().stream().filter(x -> x.contains("u1")).count(); // u1, u10..u19 among the seen users
    wait.until(d -> driver.findElements(By.cssSelector("#user-map circle.pt")).size() == matches);
    assertThat(byId("users-count").getText()).isEqualTo(matches + " of " + model.users().size() + " users match");
    screenshot("users");
    byId("user-search").clear();
    byId("user-search").sendKeys(Keys.BACK_SPACE);
    assertThat(consoleErrors()).as("browser console").isEmpty();
  }

  @Test
  @Order(3)
  @SuppressWarnings("unchecked")
  void tryItShowsTheRewardsOfTheApiAndDoesNotSendARequestPerKeystroke() throws Exception {
    tab("try");
    WebElement prompt = byId("try-prompt"), responses = byId("try-responses");
    prompt.clear();
    prompt.sendKeys("describe a pet");
    responses.clear();
    responses.sendKeys("a kitten chasing yarn\na dog barks at the mailman\nmy fish blows bubbles");
    byId("try-user").sendKeys(model.users().get(4));
    wait.until(d -> d.findElements(By.cssSelector("#try-results td.reward-value")).size() == 3
        && byId("try-note").getText().contains("weights " ));
    wait.until(d -> { // the last edit (the user id) has been answered
      JsonNode w = Json.parse(byId("try-results").getDomAttribute("data-weights"));
      return Math.abs(w.get(0).asDouble() - model.weights(org.pal.api.User.id(model.users().get(4)))[0]) < 1e-9;
    });
    JsonNode api = http.post("/v1/rewards", "{\"user\": \"" + model.users().get(4) + "\", \"prompt\": \"describe a pet\", \"responses\": [\"a kitten chasing yarn\", \"a dog barks at the mailman\", \"my fish blows bubbles\"]}").json();
    List<WebElement> cells = driver.findElements(By.cssSelector("#try-results td.reward-value"));
    for (int i = 0; i < 3; i++) assertThat(Double.parseDouble(cells.get(i).getText())).isCloseTo(api.get("rewards").get(i).asDouble(), within(1e-5));
    // preference probabilities: the pair (1, 2) is the API's preference for that pair
    JsonNode pair = http.post("/v1/rewards", "{\"user\": \"" + model.users().get(4) + "\", \"prompt\": \"describe a pet\", \"responses\": [\"a kitten chasing yarn\", \"a dog barks at the mailman\"]}").json();
    String p12 = driver.findElements(By.cssSelector("#try-prefs tr")).get(1).findElements(By.tagName("td")).get(1).getText();
    assertThat(Double.parseDouble(p12)).isCloseTo(pair.get("preference").asDouble(), within(6e-4));

    // sliders: moving one keeps the weights on the simplex, and the server scores with them
    byId("try-who-weights").click();
    byId("try-w0").sendKeys(Keys.END);
    wait.until(d -> byId("try-results").getDomAttribute("data-weights").startsWith("[1"));
    double[] w = doubles(Json.parse(byId("try-results").getDomAttribute("data-weights")));
    assertThat(w[0] + w[1] + w[2]).isCloseTo(1.0, within(1e-9));
    assertThat(w[0]).isCloseTo(1.0, within(1e-9));
    screenshot("try");

    // typing: requests leave no closer together than the debounce, itself no shorter than the server's batching window
    JavascriptExecutor js = driver;
    long debounce = ((Number) js.executeScript("return state.debounceMs")).longValue();
    assertThat(debounce).isGreaterThanOrEqualTo(http.get("/v1/model").json().get("server").get("batchWindowMicros").asLong() / 1000);
    long before = rewardRequests(), pageBefore = ((Number) js.executeScript("return tryState.sent.length")).longValue();
    responses.sendKeys("\nanother response typed quickly");
    Thread.sleep(1500);
    wait.until(d -> Boolean.FALSE.equals(js.executeScript("return tryState.inFlight")));
    List<Object> times = (List<Object>) js.executeScript("return tryState.sent.slice(arguments[0])", pageBefore);
    assertThat(times).isNotEmpty();
    for (int i = 1; i < times.size(); i++) {
      assertThat(((Number) times.get(i)).doubleValue() - ((Number) times.get(i - 1)).doubleValue()).isGreaterThanOrEqualTo(debounce);
    }
    assertThat(rewardRequests() - before).as("what the server saw").isEqualTo(times.size());
    // a burst of 31 edits within one moment is one request, not 31
    before = rewardRequests();
    js.executeScript("const t = document.getElementById('try-responses'); for (let i = 0; i < 31; i++) { t.value += 'x'; t.dispatchEvent(new Event('input')); }");
    long burst = before;
    wait.until(d -> rewardRequests() > burst);
    Thread.sleep(1000);
    assertThat(rewardRequests() - before).as("requests for a burst of 31 edits").isEqualTo(1);
    assertThat(consoleErrors()).as("browser console").isEmpty();
  }

  static long rewardRequests() {
    Matcher m = Pattern.compile("pal_requests_total\\{route=\"rewards\",status=\"200\"\\} (\\S+)").matcher(http.get("/metrics").body());
    return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
  }

  @Test
  @Order(4)
  void fiveAnswersEnrolAUserAndForgetMeDeletesThem() throws Exception {
    tab("ideal");
    String id = byId("ideal-id").getDomProperty("value");
    assertThat(byId("ideal-candidates").getDomProperty("value")).as("candidates from the prototypes' extremes").isNotBlank();
    byId("ideal-start").click();
    for (int i = 0; i < 5; i++) {
      int answered = i;
      wait.until(d -> byId("ideal-question").isDisplayed() && byId("ideal-status").getText().startsWith("Question " + (answered + 1)));
      // a cat lover: pick the side about a cat when there is one
      String a = byId("ideal-a").getText();
      (a.contains("cat") || a.contains("kitten") || a.contains("tabby") ? byId("ideal-a") : byId("ideal-b")).click();
    }
    wait.until(d -> byId("ideal-status").getText().startsWith("Question 6"));
    JsonNode u = http.get("/v1/users/" + id).json();
    assertThat(u.get("comparisons").asInt()).isEqualTo(5);
    assertThat(doubles(Json.parse(byId("ideal-weights").getDomAttribute("data-weights")))).containsExactly(doubles(u.get("weights")), within(1e-12));
    // the point moved along the way and sits where the server's map puts the user
    assertThat(driver.findElements(By.cssSelector("#ideal-map circle.trail"))).hasSize(4);
    JsonNode map = http.get("/v1/users?q=" + id).json().get("users").get(0);
    WebElement me = driver.findElement(By.cssSelector("#ideal-map circle.me"));
    assertThat(me).isNotNull();
    // what the model now ranks highest for this user: the API's rewards, in decreasing order
    List<WebElement> ranked = driver.findElements(By.cssSelector("#ideal-ranking li"));
    assertThat(ranked).isNotEmpty();
    double[] shown = ranked.stream().mapToDouble(li -> Double.parseDouble(li.findElement(By.className("reward")).getText())).toArray();
    for (int i = 1; i < shown.length; i++) assertThat(shown[i]).isLessThanOrEqualTo(shown[i - 1]);
    String top = ranked.get(0).findElement(By.className("response")).getText();
    JsonNode r = http.post("/v1/rewards", "{\"user\": " + Json.write(Json.mapper().getNodeFactory().textNode(id)) + ", \"prompt\": "
        + Json.write(Json.mapper().getNodeFactory().textNode(byId("ideal-prompt").getDomProperty("value"))) + ", \"responses\": ["
        + Json.write(Json.mapper().getNodeFactory().textNode(top)) + "]}").json();
    assertThat(shown[0]).isCloseTo(r.get("rewards").get(0).asDouble(), within(6e-4));
    assertThat(map.get("id").asText()).isEqualTo(id);
    screenshot("ideal");

    byId("ideal-forget").click();
    wait.until(d -> byId("ideal-status").getText().startsWith("Forgotten"));
    assertThat(http.get("/v1/users/" + id).status()).isEqualTo(404);
    assertThat(consoleErrors()).as("browser console").isEmpty();
  }

  /** 100,000 users (an untrained model's random weights: the map, not the model, is under test). */
  @Test
  @Order(5)
  void aHundredThousandUsersAreSampledAndBinnedAndThePageSaysSo() throws Exception {
    List<String> ids = IntStream.range(0, 100_000).mapToObj(i -> "user-" + i).toList();
    PalConfig cfg = PalConfig.parse("{\"model\": {\"type\": \"pal-b\", \"k\": 3, \"dim\": 8}, \"trainer\": {\"userInitStd\": 1.5}}");
    try (RewardModel big = pal.initialise(cfg, 16, 16, ids, Json.parse("{\"type\": \"server-words\"}"));
         PalServer s = PalServer.start(big, dir.resolve("state-big"), ServerSettings.defaults().withPort(0))) {
      driver.get("http://127.0.0.1:" + s.port() + "/");
      wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
      // no training data recorded: the Model view says so, with the fix
      wait.until(d -> byId("proto-note").getText().startsWith("Not available"));
      assertThat(byId("proto-note").getText()).contains("--dataset");
      tab("users");
      wait.until(d -> byId("user-map").getDomAttribute("data-render-ms") != null);
      assertThat(byId("users-count").getText()).isEqualTo("100000 users");
      assertThat(byId("users-note").getText()).startsWith("Sampled: 2000 of 100000 users drawn").contains("counts all 100000");
      assertThat(driver.findElements(By.cssSelector("#user-map circle.pt"))).hasSize(2000);
      assertThat(driver.findElements(By.cssSelector("#user-map g.bins rect"))).isNotEmpty();
      double ms = Double.parseDouble(byId("user-map").getDomAttribute("data-render-ms"));
      if (Boolean.getBoolean("pal.web.timing")) {
        // a second, warm render: the figure for BENCHMARKS.md (the first includes class loading on the server)
        tab("model");
        ((JavascriptExecutor) driver).executeScript("document.getElementById('user-map').removeAttribute('data-render-ms'); loadUsers('')");
        wait.until(d -> byId("user-map").getDomAttribute("data-render-ms") != null);
        System.out.printf("web page: 100,000 users fetched and drawn in %.0f ms (first) and %.0f ms (warm)%n", ms,
            Double.parseDouble(byId("user-map").getDomAttribute("data-render-ms")));
      }
    }
  }
}
