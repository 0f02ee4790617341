package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.pal.core.PalException;
import org.pal.core.config.PalConfig;
import org.pal.core.model.PalModel;

/**
 * Every refusal of the API's values and of {@link RewardModel}'s scoring and enrolment entry points,
 * triggered once with the field it must name; the values' own contracts (simplex bounds, copies,
 * equality by content, nothing personal in toString); and rewards of several requests scored
 * together against each scored alone, with the reported preference recomputed from the link.
 */
class ApiChecksTest {
  static final PalApi PAL = PalApi.create();

  /** PAL-A, K = 2, items of dimension 3, with or without prompts of dimension 2, users a and b, float64. */
  static RewardModel model(boolean prompts) {
    PalModel m = PalModel.build(PAL.registry(), PalConfig.parse("{\"model\": {\"type\": \"pal-a\", \"k\": 2, \"dim\": 3}}"), 3, prompts ? 2 : 0,
        List.of("a", "b"), DataType.DOUBLE);
    m.users().value().set(0, 0, 1.0);
    m.users().value().set(1, 1, 0.5);
    return PAL.wrap(m, null);
  }

  static Input v(double... x) {
    return Input.vector(x);
  }

  @Test
  void inputsAreCheckedCopiedAndComparedByContent() {
    assertThatThrownBy(() -> Input.text(null)).hasMessageContaining("text = null");
    assertThat(Input.text("my secret diary").toString()).isEqualTo("Text[15 chars]").doesNotContain("secret");
    assertThatThrownBy(() -> Input.vector(new float[0])).hasMessageContaining("vector = empty");
    assertThatThrownBy(() -> Input.vector((float[]) null)).hasMessageContaining("vector = empty");
    assertThatThrownBy(() -> Input.vector(new float[] {1, Float.NaN})).hasMessageContaining("vector[1] = NaN");
    assertThatThrownBy(() -> Input.vector(new float[] {Float.NEGATIVE_INFINITY})).hasMessageContaining("vector[0]");
    float[] raw = {1, 2};
    Input.Vector vec = (Input.Vector) Input.vector(raw);
    raw[0] = 9;
    assertThat(vec.values()).containsExactly(1, 2);
    assertThat(vec).isEqualTo(Input.vector(new double[] {1, 2})).hasSameHashCodeAs(Input.vector(new float[] {1, 2}));
    assertThat(vec).isNotEqualTo(Input.vector(new float[] {1, 3})).isNotEqualTo(Input.text("1"));
    assertThat(vec.toString()).isEqualTo("Vector[2]");
    assertThat(((Input.Vector) Input.vector(Nd4j.createFromArray(new float[][] {{4, 5, 6}}))).values()).containsExactly(4, 5, 6);
    assertThat(((Input.Vector) Input.vector(Nd4j.createFromArray(new float[] {7, 8}))).values()).containsExactly(7, 8);
    assertThatThrownBy(() -> Input.vector(Nd4j.createFromArray(new float[][] {{1, 2}, {3, 4}}))).hasMessageContaining("vector.shape = [2, 2]");
    assertThatThrownBy(() -> Input.vector(Nd4j.zeros(DataType.FLOAT, 1, 1, 2))).hasMessageContaining("vector.shape = [1, 1, 2]");
    Input.Image img = (Input.Image) Input.image(Path.of("a/../b.png"));
    assertThat(img.path()).isAbsolute().isEqualTo(Path.of("b.png").toAbsolutePath());
  }

  @Test
  void usersAreCheckedAndWeightsLieOnTheSimplex() {
    assertThatThrownBy(() -> User.id(null)).hasMessageContaining("user = null");
    assertThatThrownBy(() -> User.id("")).hasMessageContaining("user = \"\"");
    assertThatThrownBy(() -> User.weights()).hasMessageContaining("weights = []");
    assertThatThrownBy(() -> User.weights((double[]) null)).hasMessageContaining("weights = []");
    assertThatThrownBy(() -> User.weights(1.5, -0.5)).hasMessageContaining("weights[1] = -0.5");
    assertThatThrownBy(() -> User.weights(Double.NaN, 1)).hasMessageContaining("weights[0] = NaN");
    assertThatThrownBy(() -> User.weights(Double.POSITIVE_INFINITY, 0)).hasMessageContaining("weights[0] = Infinity");
    assertThatThrownBy(() -> User.weights(0.5, 0.5 + 2e-6)).hasMessageContaining("weights (sum)");
    assertThatThrownBy(() -> User.weights(0.5, 0.5 - 2e-6)).hasMessageContaining("weights (sum)");
    assertThat(((User.Weights) User.weights(0.5, 0.5 + 5e-7)).weights()).hasSize(2);
    assertThat(((User.Weights) User.weights(0, 1)).weights()).containsExactly(0, 1);
    double[] w = {0.25, 0.75};
    User.Weights uw = (User.Weights) User.weights(w);
    w[0] = 9;
    assertThat(uw.weights()).containsExactly(0.25, 0.75);
    assertThat(User.zeroShot()).isEqualTo(new User.ZeroShot());
    assertThatThrownBy(() -> new ScoreRequest(null, null, List.of(v(1, 2, 3)))).hasMessageContaining("user = null");
    assertThatThrownBy(() -> new ScoreRequest(User.zeroShot(), null, List.of())).hasMessageContaining("responses = []");
    assertThatThrownBy(() -> new ScoreRequest(User.zeroShot(), null, null)).hasMessageContaining("responses = []");
  }

  @Test
  void theWeightsOfEachKindOfUser() {
    RewardModel m = model(false);
    double[][] table = m.engine().weightsOf(m.engine().users());
    assertThat(m.weights(User.id("b"))).containsExactly(table[1], within(1e-15));
    assertThat(m.weights(User.zeroShot())).containsExactly(new double[] {(table[0][0] + table[1][0]) / 2, (table[0][1] + table[1][1]) / 2}, within(1e-15));
    assertThat(m.zeroShotWeights()).containsExactly(m.weights(User.zeroShot()));
    assertThat(m.weights(User.weights(0.1, 0.9))).containsExactly(0.1, 0.9);
    assertThatThrownBy(() -> m.weights(User.id("zed"))).hasMessageContaining("user = zed").hasMessageContaining("2 users");
    assertThatThrownBy(() -> m.weights(User.weights(0.2, 0.3, 0.5))).hasMessageContaining("weights = 3 values").hasMessageContaining("K = 2");
    double[] got = m.weights(User.id("a"));
    got[0] = 99;
    assertThat(m.weights(User.id("a"))[0]).as("a copy").isNotEqualTo(99);
    assertThat(m.weightsMatrix().toDoubleMatrix()).isDeepEqualTo(table);
    assertThat(m.hasUser("a")).isTrue();
    assertThat(m.hasUser("zed")).isFalse();
    assertThat(m.users()).containsExactly("a", "b");
    assertThat(m.k()).isEqualTo(2);
    assertThat(m.itemDim()).isEqualTo(3);
    assertThat(m.promptDim()).isZero();
    assertThat(m.hasPrompts()).isFalse();
    assertThat(model(true).hasPrompts()).isTrue();
    assertThat(m.type()).isEqualTo("pal-a");
    assertThat(m.inputs()).isNull();
    assertThat(m.provenance()).isNull();
    assertThat(m.dataset()).isNull();
  }

  @Test
  void scoringRefusesWhatDoesNotFitTheModel() {
    RewardModel m = model(false), mp = model(true);
    double[] w = {0.5, 0.5};
    float[] x = {1, 2, 3};
    assertThatThrownBy(() -> m.rewards(new double[][] {w}, null, new float[][] {x, x})).hasMessageContaining("weights rows = 1");
    assertThatThrownBy(() -> mp.rewards(new double[][] {w}, null, new float[][] {x})).hasMessageContaining("prompts rows = none");
    assertThatThrownBy(() -> mp.rewards(new double[][] {w}, new float[2][], new float[][] {x})).hasMessageContaining("prompts rows = 2");
    assertThatThrownBy(() -> m.rewards(new double[][] {w}, new float[1][], new float[][] {x})).hasMessageContaining("prompts = given");
    assertThatThrownBy(() -> m.rewards(new double[][] {{1.0}}, null, new float[][] {x})).hasMessageContaining("weights[0] = 1 values");
    assertThatThrownBy(() -> m.rewards(new double[][] {null}, null, new float[][] {x})).hasMessageContaining("weights[0] = null");
    assertThatThrownBy(() -> m.rewards(new double[][] {w, w}, null, new float[][] {x, {1, 2}})).hasMessageContaining("items[1] length = 2");
    assertThatThrownBy(() -> m.rewards(new double[][] {w}, null, new float[][] {null})).hasMessageContaining("items[0] length = null");
    assertThatThrownBy(() -> mp.rewards(new double[][] {w}, new float[][] {{1}}, new float[][] {x})).hasMessageContaining("prompts[0] length = 1");
    assertThatThrownBy(() -> mp.rewards(User.zeroShot(), null, v(1, 2, 3))).hasMessageContaining("requests[0].prompt = missing");
    assertThatThrownBy(() -> m.rewards(User.zeroShot(), v(1, 2), v(1, 2, 3))).hasMessageContaining("requests[0].prompt = given");
    assertThatThrownBy(() -> m.embed(List.of(v(1, 2)), true)).hasMessageContaining("prompt = given");
    assertThatThrownBy(() -> m.rewards(User.zeroShot(), null, Input.text("no encoder"))).hasMessageContaining("responses = text").hasMessageContaining("records no encoder");
    assertThatThrownBy(() -> m.rewards(User.zeroShot(), null, v(1, 2))).hasMessageContaining("responses[0] length = 2");
    assertThatThrownBy(() -> mp.rewards(User.zeroShot(), v(1, 2, 3), v(1, 2, 3))).hasMessageContaining("prompt[0] length = 3");
    assertThat(m.score(List.of())).isEmpty();
    assertThat(m.rewards(new double[0][], null, new float[0][])).isEmpty();
  }

  /** Requests scored together equal each scored alone; a pair's preference is h(r0 - r1); the ND4J form is the same numbers. */
  @Test
  void batchedScoresAreEachRequestsOwn() {
    for (boolean prompts : new boolean[] {false, true}) {
      RewardModel m = model(prompts);
      Input p1 = prompts ? v(0.3, -1) : null, p2 = prompts ? v(1, 1) : null;
      List<ScoreRequest> rs = List.of(ScoreRequest.of(User.id("a"), p1, v(1, 0, 0), v(0, 1, 0)),
          ScoreRequest.of(User.weights(0.9, 0.1), p2, v(0, 0, 1)),
          ScoreRequest.of(User.zeroShot(), p1, v(1, 0, 0), v(0.5, 0.5, 0), v(0, 1, 0)));
      List<Scores> all = m.score(rs);
      for (int i = 0; i < rs.size(); i++) {
        ScoreRequest r = rs.get(i);
        Scores alone = m.score(List.of(r)).get(0);
        assertThat(all.get(i).rewards()).containsExactly(alone.rewards(), within(1e-12));
        assertThat(all.get(i).weights()).containsExactly(m.weights(r.user()), within(1e-15));
        // rewards through the vector path, one row at a time
        for (int j = 0; j < r.responses().size(); j++) {
          float[] pr = r.prompt() == null ? null : ((Input.Vector) r.prompt()).values();
          double one = m.rewards(new double[][] {m.weights(r.user())}, pr == null ? null : new float[][] {pr},
              new float[][] {((Input.Vector) r.responses().get(j)).values()})[0];
          assertThat(all.get(i).rewards()[j]).isCloseTo(one, within(1e-12));
        }
      }
      assertThat(all.get(0).preference()).isCloseTo(m.engine().link().probability(all.get(0).rewards()[0] - all.get(0).rewards()[1]), within(1e-15));
      assertThat(all.get(1).preference()).isNull();
      assertThat(all.get(2).preference()).isNull();
      assertThat(m.preference(User.id("a"), p1, v(1, 0, 0), v(0, 1, 0))).isCloseTo(all.get(0).preference(), within(1e-12));
      double[] viaVarargs = m.rewards(User.id("a"), p1, v(1, 0, 0), v(0, 1, 0));
      assertThat(viaVarargs).containsExactly(all.get(0).rewards(), within(1e-12));
      var nd = m.rewards(Nd4j.createFromArray(new double[][] {{0.9, 0.1}}), prompts ? Nd4j.createFromArray(new float[][] {{1, 1}}) : null,
          Nd4j.createFromArray(new float[][] {{0, 0, 1}}));
      assertThat(nd.getDouble(0)).isCloseTo(all.get(1).rewards()[0], within(1e-12));
      assertThat(m.embed(List.of(v(1, 2, 3), v(1, 2, 3)), false)).hasDimensions(2, 3);
    }
  }

  @Test
  void enrolmentRefusesWhatItCannotUse() {
    RewardModel m = model(false), mp = model(true);
    assertThatThrownBy(() -> m.enrol(List.of())).hasMessageContaining("comparisons = []");
    assertThatThrownBy(() -> m.enrol(List.of(new Comparison("a", null, v(1, 0, 0), v(0, 1, 0))))).hasMessageContaining("comparisons[0].user = a");
    assertThatThrownBy(() -> m.enrol(List.of(new Comparison("n", v(1, 1), v(1, 0, 0), v(0, 1, 0))))).hasMessageContaining("comparisons[0].prompt = given");
    assertThatThrownBy(() -> mp.enrol(List.of(new Comparison("n", null, v(1, 0, 0), v(0, 1, 0))))).hasMessageContaining("comparisons[0].prompt = missing");
    // update: a known user is refitted and keeps their row; the model enrolled from is unchanged
    double[] before = m.weights(User.id("a"));
    List<Comparison> cs = List.of(new Comparison("a", null, v(1, 0, 0), v(0, 1, 0)), new Comparison("a", null, v(0, 0, 1), v(0, 1, 0)));
    Enrolment e = m.enrol(cs, true);
    assertThat(e.model().users()).containsExactly("a", "b");
    assertThat(m.weights(User.id("a"))).containsExactly(before);
    assertThat(e.users()).hasSize(1);
    assertThat(e.users().get(0).comparisons()).isEqualTo(2);
    assertThat(e.model().weights(User.id("a"))).containsExactly(e.users().get(0).weights(), within(1e-12));
    assertThat(Arrays.stream(e.model().weights(User.id("a"))).sum()).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void optionsAndPlansAreChecked() {
    assertThatThrownBy(() -> new PalApi.TrainOptions(null, true, null)).hasMessageContaining("resume = true");
    assertThat(new PalApi.TrainOptions(null, false, null).progress()).isSameAs(org.pal.core.train.ProgressListener.NONE);
    assertThat(PalApi.LoadOptions.vectors()).isEqualTo(new PalApi.LoadOptions(null, true));
    assertThat(PalApi.LoadOptions.DEFAULT).isEqualTo(new PalApi.LoadOptions(null, false));
    PalApi.SweepPlan p = new PalApi.SweepPlan(List.of(1, 2), List.of(0L), 5, null);
    assertThat(p.shotsCurve()).isEmpty();
    assertThatThrownBy(() -> p.ks().add(3)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> new PalApi.SweepPlan(List.of(0), List.of(0L), 5, null)).isInstanceOf(PalException.class);
  }

  /** Mean and sample standard deviation (n - 1) of the present values; absent (null, NaN) ones are skipped. */
  @Test
  void summaryStatisticsSkipAbsentValues() {
    PalApi.Summary.Stat s = PalApi.Summary.stat(Arrays.asList(0.5, null, 0.7, Double.NaN, 0.9));
    assertThat(s.mean()).isCloseTo(0.7, within(1e-15));
    assertThat(s.std()).isCloseTo(0.2, within(1e-15));
    assertThat(PalApi.Summary.stat(List.of(0.25)).std()).isZero();
    assertThat(PalApi.Summary.stat(Arrays.asList(null, Double.NaN))).isNull();
    var r1 = new org.pal.core.experiment.RunResult("pal-a", 2, 0, 0.8, null, null, 2.0, 100, 1, 1, 0.5, 1, 1, 0, null);
    var r2 = new org.pal.core.experiment.RunResult("pal-a", 2, 1, 0.6, null, null, 4.0, 300, 1, 1, 0.5, 1, 1, 0, null);
    var r3 = new org.pal.core.experiment.RunResult("pal-b", 2, 0, 0.9, 0.7, 0.6, 1.0, 50, 1, 1, 0.5, 1, 1, 0, null);
    List<PalApi.Summary> sum = PalApi.Summary.of(List.of(r1, r3, r2));
    assertThat(sum).hasSize(2);
    assertThat(sum.get(0).model()).isEqualTo("pal-a");
    assertThat(sum.get(0).runs()).isEqualTo(2);
    assertThat(sum.get(0).seen().mean()).isCloseTo(0.7, within(1e-15));
    assertThat(sum.get(0).unseen()).isNull();
    assertThat(sum.get(0).trainSeconds()).isEqualTo(3.0);
    assertThat(sum.get(0).pairsPerSecond()).isEqualTo(200.0);
    assertThat(sum.get(1).zeroShot().mean()).isEqualTo(0.6);
  }
}
