package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.PalException;
import org.pal.core.config.PalConfig;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Mat;

/**
 * Every number {@link UserPosterior} and {@link ActiveQuery} report, recomputed here from the model's
 * rewards alone: the objective and its central-difference gradient, Jacobians of the margins by
 * central differences, the links' derivatives by hand (logistic h(1 - h); Cauchit 1 / (π (1 + z²))),
 * the Laplace covariance by Gauss-Jordan inversion, the posterior draws with this test's own Cholesky
 * factor and {@code java.util.Random}. Two small float64 models with fixed, unequal user weights: PAL-A
 * without prompts under the logistic link, PAL-B with prompts under the Cauchit link.
 */
class PosteriorReferenceTest {
  static final PalApi PAL = PalApi.create();

  /** A small float64 model with users u0..u4 whose logits are drawn from {@code seed} (so the zero-shot point is not uniform). */
  record Case(RewardModel model, int k, int d, int p, DoubleUnaryOperator h, DoubleUnaryOperator slope) {}

  static Case palA() {
    PalConfig cfg = PalConfig.parse("{\"model\": {\"type\": \"pal-a\", \"k\": 3, \"dim\": 4, \"projector\": {\"type\": \"linear\", \"bias\": false}},"
        + " \"trainer\": {\"seed\": 3}}");
    DoubleUnaryOperator h = z -> 1 / (1 + Math.exp(-z));
    return build(cfg, 3, 5, 0, h, z -> h.applyAsDouble(z) * (1 - h.applyAsDouble(z)), 11);
  }

  static Case palB() {
    PalConfig cfg = PalConfig.parse("{\"model\": {\"type\": \"pal-b\", \"k\": 2, \"dim\": 4, \"itemProjector\": {\"type\": \"linear\"}},"
        + " \"link\": {\"type\": \"cauchit\"}, \"trainer\": {\"seed\": 5}}");
    return build(cfg, 2, 4, 3, z -> 0.5 + Math.atan(z) / Math.PI, z -> 1 / (Math.PI * (1 + z * z)), 12);
  }

  static Case build(PalConfig cfg, int k, int d, int p, DoubleUnaryOperator h, DoubleUnaryOperator slope, long seed) {
    PalModel m = PalModel.build(PAL.registry(), cfg, d, p, List.of("u0", "u1", "u2", "u3", "u4"), DataType.DOUBLE);
    Mat logits = m.users().value();
    Random r = new Random(seed);
    for (int i = 0; i < logits.rows; i++) for (int j = 0; j < logits.cols; j++) logits.set(i, j, 1.5 * r.nextGaussian());
    return new Case(PAL.wrap(m, null), k, d, p, h, slope);
  }

  static float[][] vectors(int n, int d, long seed) {
    Random r = new Random(seed);
    float[][] v = new float[n][d];
    for (float[] row : v) for (int j = 0; j < d; j++) row[j] = (float) r.nextGaussian();
    return v;
  }

  // ---- the reference computations

  static double[] softmax(double[] t) {
    double s = 0;
    double[] w = new double[t.length];
    for (int i = 0; i < t.length; i++) s += w[i] = Math.exp(t[i]);
    for (int i = 0; i < t.length; i++) w[i] /= s;
    return w;
  }

  /** u(a) - u(b) for weights softmax(θ), through the model's public vector path. */
  static double margin(Case c, double[] theta, float[] prompt, float[] a, float[] b) {
    double[] w = softmax(theta);
    double[] r = c.model().rewards(new double[][] {w, w}, prompt == null ? null : new float[][] {prompt, prompt}, new float[][] {a, b});
    return r[0] - r[1];
  }

  static double[] marginGradient(Case c, double[] theta, float[] prompt, float[] a, float[] b) {
    double eps = 1e-5;
    double[] g = new double[theta.length];
    for (int j = 0; j < theta.length; j++) {
      double[] up = theta.clone(), dn = theta.clone();
      up[j] += eps;
      dn[j] -= eps;
      g[j] = (margin(c, up, prompt, a, b) - margin(c, dn, prompt, a, b)) / (2 * eps);
    }
    return g;
  }

  static double[] priorMean(Case c) {
    double[] w = c.model().zeroShotWeights(), t = new double[w.length];
    double mean = 0;
    for (int i = 0; i < w.length; i++) mean += (t[i] = Math.log(w[i])) / w.length;
    for (int i = 0; i < w.length; i++) t[i] -= mean;
    return t;
  }

  /** The negative log posterior: Gaussian prior around the zero-shot logits plus -log h(margin) per answer. */
  static double objective(Case c, double sigma, double[] theta, UserPosterior.Answers a) {
    double[] mu = priorMean(c);
    double o = 0;
    for (int j = 0; j < theta.length; j++) o += (theta[j] - mu[j]) * (theta[j] - mu[j]) / (2 * sigma * sigma);
    for (int i = 0; i < a.size(); i++) {
      o -= Math.log(c.h().applyAsDouble(margin(c, theta, a.prompts() == null ? null : a.prompts()[i], a.chosen()[i], a.rejected()[i])));
    }
    return o;
  }

  static double fisher(Case c, double m) {
    double p = c.h().applyAsDouble(m), s = c.slope().applyAsDouble(m);
    return s * s / (p * (1 - p));
  }

  static double[][] inverse(double[][] a) {
    int n = a.length;
    double[][] m = new double[n][2 * n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(a[i], 0, m[i], 0, n);
      m[i][n + i] = 1;
    }
    for (int col = 0; col < n; col++) {
      double piv = m[col][col];
      for (int j = 0; j < 2 * n; j++) m[col][j] /= piv;
      for (int r = 0; r < n; r++) {
        if (r == col) continue;
        double f = m[r][col];
        for (int j = 0; j < 2 * n; j++) m[r][j] -= f * m[col][j];
      }
    }
    double[][] inv = new double[n][n];
    for (int i = 0; i < n; i++) System.arraycopy(m[i], n, inv[i], 0, n);
    return inv;
  }

  /** √ of the diagonal of S Σ Sᵀ, S = diag(w) - w wᵀ: the weights' spread by the delta method. */
  static double[] weightStd(double[] w, double[][] cov) {
    int k = w.length;
    double[] out = new double[k];
    for (int a = 0; a < k; a++) {
      double v = 0;
      for (int i = 0; i < k; i++) {
        for (int j = 0; j < k; j++) v += ((a == i ? w[a] : 0) - w[a] * w[i]) * cov[i][j] * ((a == j ? w[a] : 0) - w[a] * w[j]);
      }
      out[a] = Math.sqrt(v);
    }
    return out;
  }

  static UserPosterior.Answers answers(Case c, int n, long seed) {
    float[][] x = vectors(2 * n, c.d(), seed);
    float[][] ch = new float[n][], rj = new float[n][];
    for (int i = 0; i < n; i++) {
      ch[i] = x[2 * i];
      rj[i] = x[2 * i + 1];
    }
    return new UserPosterior.Answers(c.p() == 0 ? null : vectors(n, c.p(), seed + 1), ch, rj);
  }

  static void assertClose(double[] actual, double[] expected, double tol, String what) {
    assertThat(actual).as(what).hasSameSizeAs(expected);
    for (int i = 0; i < expected.length; i++) assertThat(actual[i]).as(what + "[" + i + "]").isCloseTo(expected[i], within(tol));
  }

  // ---- the fit

  @Test
  void theFitIsTheMapPointWithTheLaplaceCovariance() {
    for (Case c : List.of(palA(), palB())) {
      double sigma = 0.8;
      UserPosterior post = new UserPosterior(c.model(), new UserPosterior.Options(sigma, 50));
      UserPosterior.Answers a = answers(c, 7, 21);
      UserPosterior.Fit f = post.fit(a);
      String name = c.model().type();
      assertThat(f.comparisons()).isEqualTo(7);
      // stationary: the objective's central-difference gradient vanishes at the fit
      double eps = 1e-5;
      for (int j = 0; j < c.k(); j++) {
        double[] up = f.logits().clone(), dn = f.logits().clone();
        up[j] += eps;
        dn[j] -= eps;
        double g = (objective(c, sigma, up, a) - objective(c, sigma, dn, a)) / (2 * eps);
        assertThat(g).as(name + ": d objective / d theta_" + j + " at the fit").isCloseTo(0.0, within(1e-5));
      }
      // and a minimum: every logit moved either way costs more
      double best = objective(c, sigma, f.logits(), a);
      for (int j = 0; j < c.k(); j++) {
        for (double step : new double[] {-0.05, 0.05}) {
          double[] t = f.logits().clone();
          t[j] += step;
          assertThat(objective(c, sigma, t, a)).as(name + ": theta_" + j + " moved by " + step).isGreaterThan(best);
        }
      }
      double sum = 0;
      for (double t : f.logits()) sum += t;
      assertThat(sum).as(name + ": the logits are centred").isCloseTo(0.0, within(1e-9));
      assertClose(f.weights(), softmax(f.logits()), 1e-12, name + " weights");
      // Σ = (Σ_i F(m_i) J_i J_iᵀ + I / σ²)⁻¹ at the fit
      double[][] hess = new double[c.k()][c.k()];
      for (int j = 0; j < c.k(); j++) hess[j][j] = 1 / (sigma * sigma);
      for (int i = 0; i < a.size(); i++) {
        float[] pr = a.prompts() == null ? null : a.prompts()[i];
        double m = margin(c, f.logits(), pr, a.chosen()[i], a.rejected()[i]);
        double[] jac = marginGradient(c, f.logits(), pr, a.chosen()[i], a.rejected()[i]);
        double fi = fisher(c, m);
        for (int j = 0; j < c.k(); j++) for (int l = 0; l < c.k(); l++) hess[j][l] += fi * jac[j] * jac[l];
      }
      double[][] cov = inverse(hess);
      for (int j = 0; j < c.k(); j++) assertClose(f.covariance()[j], cov[j], 1e-6, name + " covariance row " + j);
      double[] std = weightStd(f.weights(), cov);
      assertClose(f.weightStd(), std, 1e-6, name + " weightStd");
      double u = 0;
      for (double s : std) u += s * s;
      assertThat(f.uncertainty()).as(name + " uncertainty").isCloseTo(Math.sqrt(u), within(1e-6));
      // one Fisher-scoring step cannot reach the optimum from the prior; the iteration cap is honoured
      UserPosterior.Fit oneStep = new UserPosterior(c.model(), new UserPosterior.Options(sigma, 1)).fit(a);
      double moved = 0;
      for (int j = 0; j < c.k(); j++) moved += Math.abs(oneStep.logits()[j] - f.logits()[j]);
      assertThat(moved).as(name + ": one step stops short of the optimum").isGreaterThan(1e-6);
    }
  }

  @Test
  void thePriorIsTheZeroShotPointWithTheGivenSpread() {
    Case c = palA();
    UserPosterior post = new UserPosterior(c.model(), new UserPosterior.Options(0.6, 30));
    for (UserPosterior.Fit f : List.of(post.prior(), post.fit(UserPosterior.Answers.NONE))) {
      assertClose(f.logits(), priorMean(c), 1e-12, "prior logits");
      assertClose(f.weights(), c.model().zeroShotWeights(), 1e-12, "prior weights");
      double[][] cov = new double[3][3];
      for (int j = 0; j < 3; j++) cov[j][j] = 0.36;
      for (int j = 0; j < 3; j++) assertClose(f.covariance()[j], cov[j], 1e-15, "prior covariance row " + j);
      assertClose(f.weightStd(), weightStd(f.weights(), cov), 1e-12, "prior weightStd");
      assertThat(f.comparisons()).isZero();
    }
    assertThat(post.options()).isEqualTo(new UserPosterior.Options(0.6, 30));
    assertThat(post.k()).isEqualTo(3);
  }

  @Test
  void theLinksFisherInformationIsTheBernoullis() {
    for (Case c : List.of(palA(), palB())) {
      UserPosterior post = new UserPosterior(c.model());
      for (double m : new double[] {-3, -0.7, 0, 0.4, 2.5}) {
        assertThat(post.linkSlope(m)).as(c.model().type() + " h'(" + m + ")").isCloseTo(c.slope().applyAsDouble(m), within(1e-8));
        assertThat(post.fisher(m)).as(c.model().type() + " F(" + m + ")").isCloseTo(fisher(c, m), within(1e-8));
        assertThat(post.link().probability(m)).isCloseTo(c.h().applyAsDouble(m), within(1e-12));
      }
    }
  }

  /** Root mean square distance of the users' centred log-weights from the zero-shot point's, clamped to [0.5, 4]. */
  @Test
  void theEmpiricalPriorSpreadIsTheUsersRmsDistance() {
    for (Case c : List.of(palA(), palB())) {
      PalModel m = c.model().engine();
      double[] mu = priorMean(c);
      double ss = 0;
      int n = c.model().users().size();
      for (String u : c.model().users()) {
        double[] w = c.model().weights(User.id(u)), t = new double[w.length];
        double mean = 0;
        for (int j = 0; j < w.length; j++) mean += (t[j] = Math.log(Math.max(w[j], 1e-6))) / w.length;
        for (int j = 0; j < w.length; j++) ss += (t[j] - mean - mu[j]) * (t[j] - mean - mu[j]);
      }
      double rms = Math.sqrt(ss / (n * c.k()));
      assertThat(rms).as("the case lies inside the clamp").isBetween(0.5, 4.0);
      assertThat(UserPosterior.empiricalPriorStd(m)).isCloseTo(rms, within(1e-9));
      assertThat(UserPosterior.empiricalPriorStd(m, c.model().zeroShotWeights())).isCloseTo(rms, within(1e-9));
    }
    // the clamp: all users at one point give the floor, users far from a given point the ceiling
    Case c = palA();
    double[] far = {1 - 2e-9, 1e-9, 1e-9};
    assertThat(UserPosterior.empiricalPriorStd(c.model().engine(), far)).isEqualTo(4.0);
    PalModel same = PalModel.build(PAL.registry(), PalConfig.parse("{\"model\": {\"type\": \"pal-a\", \"k\": 3, \"dim\": 4}}"), 5, 0, List.of("a", "b"), DataType.DOUBLE);
    same.users().value().fill(0.0);
    assertThat(UserPosterior.empiricalPriorStd(same)).isEqualTo(0.5);
  }

  // ---- next questions

  /** ½ log(1 + F(m̃) v), v = Jᵀ Σ J, m̃ = m / √(1 + π v / 8): every pair, the best pair, and the best of a pool. */
  @Test
  void dOptimalInformationMatchesItsFormula() {
    for (Case c : List.of(palA(), palB())) {
      UserPosterior post = new UserPosterior(c.model(), new UserPosterior.Options(1.1, 30));
      UserPosterior.Fit f = post.fit(answers(c, 4, 31));
      float[][] cand = vectors(5, c.d(), 41);
      float[] prompt = c.p() == 0 ? null : vectors(1, c.p(), 42)[0];
      ActiveQuery.Choice[][] all = ActiveQuery.pairs(post, f, prompt, cand, ActiveQuery.Criterion.D_OPTIMAL);
      double bestInfo = -1;
      int bestA = -1, bestB = -1;
      for (int a = 0; a < cand.length; a++) {
        for (int b = 0; b < cand.length; b++) {
          if (b <= a) {
            assertThat(all[a][b]).isNull();
            continue;
          }
          ActiveQuery.Choice ch = all[a][b];
          double[] j = marginGradient(c, f.logits(), prompt, cand[a], cand[b]);
          double v = 0;
          for (int i = 0; i < c.k(); i++) for (int l = 0; l < c.k(); l++) v += j[i] * f.covariance()[i][l] * j[l];
          double mt = margin(c, f.logits(), prompt, cand[a], cand[b]) / Math.sqrt(1 + Math.PI * v / 8);
          double info = 0.5 * Math.log(1 + fisher(c, mt) * v);
          String what = c.model().type() + " pair " + a + "," + b;
          assertThat(ch.first()).isEqualTo(a);
          assertThat(ch.second()).isEqualTo(b);
          assertThat(ch.information()).as(what + " information").isCloseTo(info, within(1e-6));
          assertThat(ch.probability()).as(what + " probability").isCloseTo(c.h().applyAsDouble(mt), within(1e-6));
          assertThat(ch.marginStd()).as(what + " margin std").isCloseTo(Math.sqrt(v), within(1e-6));
          if (info > bestInfo) { bestInfo = info; bestA = a; bestB = b; }
        }
      }
      ActiveQuery.Choice best = ActiveQuery.bestPair(post, f, prompt, cand);
      assertThat(new int[] {best.first(), best.second()}).isEqualTo(new int[] {bestA, bestB});
      // the same pairs as a pool (in another order): the pool index of the best pair
      int n = cand.length * (cand.length - 1) / 2;
      float[][] left = new float[n][], right = new float[n][], prompts = c.p() == 0 ? null : new float[n][];
      int row = 0, bestRow = -1;
      for (int b = cand.length - 1; b > 0; b--) {
        for (int a = 0; a < b; a++, row++) {
          left[row] = cand[a];
          right[row] = cand[b];
          if (prompts != null) prompts[row] = prompt;
          if (a == bestA && b == bestB) bestRow = row;
        }
      }
      ActiveQuery.Choice pool = ActiveQuery.bestOfPool(post, f, prompts, left, right);
      assertThat(pool.first()).isEqualTo(bestRow);
      assertThat(pool.second()).isEqualTo(-1);
      assertThat(pool.information()).isCloseTo(bestInfo, within(1e-6));
    }
  }

  /** Draws θ = θ̂ + L z (L Lᵀ = Σ, z from Random(seed), K per draw), then H(E[p]) − E[H(p)] per pair. */
  @Test
  void baldInformationMatchesItsFormulaOverTheSameDraws() {
    for (Case c : List.of(palA(), palB())) {
      UserPosterior post = new UserPosterior(c.model(), new UserPosterior.Options(1.3, 30));
      UserPosterior.Fit f = post.fit(answers(c, 3, 51));
      float[][] cand = vectors(4, c.d(), 52);
      float[] prompt = c.p() == 0 ? null : vectors(1, c.p(), 53)[0];
      int s = ActiveQuery.SAMPLES, k = c.k();
      double[][] l = new double[k][k], cov = f.covariance();
      for (int i = 0; i < k; i++) {
        for (int j = 0; j <= i; j++) {
          double v = cov[i][j];
          for (int m = 0; m < j; m++) v -= l[i][m] * l[j][m];
          l[i][j] = i == j ? Math.sqrt(v) : v / l[j][j];
        }
      }
      Random r = new Random(f.comparisons());
      double[][] u = new double[s][cand.length];
      for (int d = 0; d < s; d++) {
        double[] z = new double[k], theta = f.logits().clone();
        for (int j = 0; j < k; j++) z[j] = r.nextGaussian();
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) theta[i] += l[i][j] * z[j];
        double[] w = softmax(theta);
        for (int i = 0; i < cand.length; i++) {
          u[d][i] = c.model().rewards(new double[][] {w}, prompt == null ? null : new float[][] {prompt}, new float[][] {cand[i]})[0];
        }
      }
      float[][] prompts = prompt == null ? null : new float[][] {prompt, prompt, prompt, prompt};
      double[][] sampled = post.sampledUtilities(f, prompts, cand, s, f.comparisons());
      for (int d = 0; d < s; d++) assertClose(sampled[d], u[d], 1e-9, c.model().type() + " draw " + d);
      ActiveQuery.Choice[][] all = ActiveQuery.pairs(post, f, prompt, cand, ActiveQuery.Criterion.BALD);
      double bestInfo = -1;
      int bestA = -1;
      for (int a = 0; a < cand.length; a++) {
        for (int b = a + 1; b < cand.length; b++) {
          double pSum = 0, hSum = 0, mSum = 0, mSq = 0;
          for (double[] row : u) {
            double m = row[a] - row[b], p = c.h().applyAsDouble(m);
            pSum += p;
            hSum += entropy(p);
            mSum += m;
            mSq += m * m;
          }
          double info = entropy(pSum / s) - hSum / s, mean = mSum / s;
          String what = c.model().type() + " BALD pair " + a + "," + b;
          assertThat(all[a][b].information()).as(what).isCloseTo(info, within(1e-9));
          assertThat(all[a][b].probability()).as(what + " probability").isCloseTo(pSum / s, within(1e-9));
          assertThat(all[a][b].marginStd()).as(what + " margin std").isCloseTo(Math.sqrt(mSq / s - mean * mean), within(1e-9));
          if (b == a + 1 && info > bestInfo) { bestInfo = info; bestA = a; }
        }
      }
      // a pool of the neighbouring pairs (a, a+1): its best row under the same draws
      int n = cand.length - 1;
      float[][] left = new float[n][], right = new float[n][], ps = prompt == null ? null : new float[n][];
      for (int i = 0; i < n; i++) {
        left[i] = cand[i];
        right[i] = cand[i + 1];
        if (ps != null) ps[i] = prompt;
      }
      ActiveQuery.Choice pool = ActiveQuery.bestOfPool(post, f, ps, left, right, ActiveQuery.Criterion.BALD);
      assertThat(pool.first()).isEqualTo(bestA);
      assertThat(pool.second()).isEqualTo(-1);
      assertThat(pool.information()).isCloseTo(bestInfo, within(1e-9));
    }
  }

  static double entropy(double p) {
    return p <= 0 || p >= 1 ? 0 : -p * Math.log(p) - (1 - p) * Math.log(1 - p);
  }

  // ---- every refusal

  @Test
  void badInputsAreRefusedNamingTheField() {
    Case a = palA(), b = palB();
    UserPosterior pa = new UserPosterior(a.model()), pb = new UserPosterior(b.model());
    assertThatThrownBy(() -> new UserPosterior.Options(0, 5)).hasMessageContaining("priorStd");
    assertThatThrownBy(() -> new UserPosterior.Options(Double.NaN, 5)).hasMessageContaining("priorStd");
    assertThatThrownBy(() -> new UserPosterior.Options(Double.POSITIVE_INFINITY, 5)).hasMessageContaining("priorStd");
    assertThatThrownBy(() -> new UserPosterior.Options(1, 0)).hasMessageContaining("iterations");
    assertThat(new UserPosterior.Options(1e-3, 1).iterations()).isEqualTo(1);
    assertThatThrownBy(() -> new UserPosterior.Answers(null, new float[2][], new float[1][])).isInstanceOf(PalException.class);
    assertThatThrownBy(() -> new UserPosterior.Answers(new float[1][], new float[2][], new float[2][])).isInstanceOf(PalException.class);
    assertThatThrownBy(() -> new UserPosterior(a.model().engine(), UserPosterior.Options.DEFAULT, new double[] {0.5, 0.5}))
        .hasMessageContaining("zero-shot weights have 2 values, K = 3");
    UserPosterior.Answers noPrompts = answers(a, 2, 1), withPrompts = answers(b, 2, 1);
    assertThatThrownBy(() -> pb.fit(new UserPosterior.Answers(null, withPrompts.chosen(), withPrompts.rejected()))).hasMessageContaining("prompts = missing");
    assertThatThrownBy(() -> pa.fit(new UserPosterior.Answers(vectors(2, 3, 1), noPrompts.chosen(), noPrompts.rejected()))).hasMessageContaining("prompts = given");
    assertThatThrownBy(() -> pa.fit(new UserPosterior.Answers(null, vectors(2, 4, 1), vectors(2, 4, 2)))).hasMessageContaining("items[0] length = 4");
    assertThatThrownBy(() -> pb.fit(new UserPosterior.Answers(vectors(2, 2, 1), withPrompts.chosen(), withPrompts.rejected()))).hasMessageContaining("prompts[0] length = 2");
    assertThatThrownBy(() -> pb.utilities(new double[] {0, 0}, null, vectors(2, 4, 1))).hasMessageContaining("prompts = none");
    assertThatThrownBy(() -> pb.utilities(new double[] {0, 0}, vectors(1, 3, 1), vectors(2, 4, 1))).hasMessageContaining("prompts = 1");
    assertThat(pa.utilities(new double[] {0, 0, 0}, null, new float[0][]).values()).isEmpty();
    assertThat(pa.sampledUtilities(pa.prior(), null, new float[0][], 3, 1)).hasDimensions(3, 0);
    assertThatThrownBy(() -> ActiveQuery.bestPair(pa, pa.prior(), null, vectors(1, 5, 1))).hasMessageContaining("candidates = 1");
    assertThatThrownBy(() -> ActiveQuery.bestOfPool(pa, pa.prior(), null, new float[0][], new float[0][])).hasMessageContaining("pool = 0");
    assertThatThrownBy(() -> UserPosterior.answers(b.model(), List.of(new Comparison("x", null, Input.vector(new float[4]), Input.vector(new float[4])))))
        .hasMessageContaining("comparisons[0].prompt = missing");
    assertThatThrownBy(() -> UserPosterior.answers(a.model(), List.of(new Comparison("x", Input.text("p"), Input.vector(new float[5]), Input.vector(new float[5])))))
        .hasMessageContaining("comparisons[0].prompt = given");
  }

  /** Comparisons through the model's inputs give the same answers as the vectors themselves. */
  @Test
  void comparisonsBecomeTheirVectors() {
    Case b = palB();
    float[][] x = vectors(4, 4, 61), p = vectors(2, 3, 62);
    UserPosterior.Answers a = UserPosterior.answers(b.model(), List.of(
        new Comparison("x", Input.vector(p[0]), Input.vector(x[0]), Input.vector(x[1])),
        new Comparison("x", Input.vector(p[1]), Input.vector(x[2]), Input.vector(x[3]))));
    assertThat(a.size()).isEqualTo(2);
    assertThat(a.chosen()).isDeepEqualTo(new float[][] {x[0], x[2]});
    assertThat(a.rejected()).isDeepEqualTo(new float[][] {x[1], x[3]});
    assertThat(a.prompts()).isDeepEqualTo(p);
  }
}
