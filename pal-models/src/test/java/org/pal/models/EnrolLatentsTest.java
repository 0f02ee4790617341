package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.SplitDataset;
import org.pal.core.eval.Adapter;
import org.pal.core.eval.Evaluator;
import org.pal.core.model.PairLatents;
import org.pal.core.model.PalModel;
import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.ModelVariant;
import org.pal.core.spi.PalPlugin;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;
import org.pal.core.train.AdaptSpec;

/**
 * Enrolment on precomputed pair latents (what a factorized variant gets) against the general path
 * that maps every item and prompt through the variant's utilities in every step (what a variant
 * without the capability gets), the same variant seen both ways, for PAL-A with and without prompts
 * and PAL-B with a learned and a fixed scale, with K = 1 and at the benchmark's size (K = 4, d = 16,
 * 64-d items and prompts), in float and double, with one and with several data-parallel workers.
 * The two cannot agree bit for bit in general: OpenBLAS gives a row of a matrix product bits that
 * depend on the row's position in the matrix (its kernels handle the rows past a multiple of their
 * unrolling differently), so the general path's frozen projections already differ in the last bit
 * from epoch to epoch as the shuffle moves pairs around. Hence a tolerance at the float and double
 * rounding level of the benchmark-sized case (1e-10 in double; measured here: 6e-16 in double,
 * 7e-7 in float), and exact equality where the inner dimensions are too small for that to happen.
 */
class EnrolLatentsTest {
  /** PAL-A and PAL-B (same specs, same parameter names, so the same initial values) seen only as {@link ModelVariant}s. */
  static final class Unfactorized extends PalPlugin {
    @Override
    protected void configurePlugin() {
      register(ExtensionPoint.MODEL, "plain-a", PalA.Spec.class, (s, c) -> plain(new PalA(s, c)), "PAL-A through utilities only");
      register(ExtensionPoint.MODEL, "plain-b", PalB.Spec.class, (s, c) -> plain(new PalB(s, c)), "PAL-B through utilities only");
    }

    private static ModelVariant plain(ModelVariant inner) {
      return new ModelVariant() {
        @Override
        public Var[] utilities(Tape tape, Var weights, Var prompts, Random random, Var... items) {
          return inner.utilities(tape, weights, prompts, random, items);
        }

        @Override
        public int k() {
          return inner.k();
        }
      };
    }
  }

  private static final Pal PAL = Pal.load(new Unfactorized());

  private static PalModel build(String model, String type, SplitDataset split, DataType dtype) {
    String json = "{\"model\": {\"type\": \"" + type + "\", " + model + "}, \"trainer\": {\"seed\": 4}}";
    return PalModel.build(PAL.registry(), PalConfig.parse(json), split.data().items().dim(), split.data().promptDim(),
        split.ids(split.seenUsers()), dtype);
  }

  @Test
  void precomputedLatentsEnrolExactlyAsTheGeneralPath() {
    String[][] cases = {
        {"pal-a", "\"k\": 3, \"dim\": 4", "0"},
        {"pal-a", "\"k\": 2, \"dim\": 4, \"projector\": {\"type\": \"mlp\", \"layers\": 2}", "3"},
        {"pal-b", "\"k\": 3, \"dim\": 4", "3"},
        {"pal-b", "\"k\": 2, \"dim\": 5, \"logitScaleInit\": 1.5, \"learnScale\": false", "3"},
        {"pal-b", "\"k\": 1, \"dim\": 4", "3"},
        {"pal-b", "\"k\": 4, \"dim\": 16", "64"}};
    for (String[] c : cases) {
      int promptDim = Integer.parseInt(c[2]);
      SplitDataset split = org.pal.core.testing.TinyData.make(6, 5, 24, promptDim == 64 ? 64 : 5, promptDim, 3);
      Evaluator.FewShotSplit fs = Evaluator.fewShotSplit(split, 12, 0.25);
      int[] row = split.rowIndex(fs.users());
      for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
        PalModel fast = build(c[1], c[0], split, dtype), general = build(c[1], c[0].replace("pal-", "plain-"), split, dtype);
        String what = c[0] + " {" + c[1] + "} prompts " + c[2] + " " + dtype;
        // the premise: the same parameters, one model factorized and one not
        for (Param p : fast.params().params()) {
          assertThat(general.params().get(p.name()).value().toDoubleArray()).as(what + " " + p.name()).containsExactly(p.value().toDoubleArray());
        }
        assertThat(PairLatents.of(fast, split.data(), fs.adaptTrain())).as(what).isNotNull();
        assertThat(PairLatents.of(general, split.data(), fs.adaptTrain())).as(what).isNull();
        double[] before = fast.params().flatValue().toDoubleArray();
        for (int threads : new int[] {1, 3}) {
          // batches of 7 over 10 training pairs per user: several steps an epoch, shards of unequal size
          AdaptSpec spec = new AdaptSpec(20, 0.1, 0.25, 8, 7);
          double[] got = Adapter.enrol(fast, split.data(), fs.adaptTrain(), fs.adaptValidation(), row, fs.users().length, spec, 9, threads)
              .flatValue().toDoubleArray();
          double[] expected = Adapter.enrol(general, split.data(), fs.adaptTrain(), fs.adaptValidation(), row, fs.users().length, spec, 9, threads)
              .flatValue().toDoubleArray();
          if (promptDim < 64) assertThat(got).as(what + ", " + threads + " threads").containsExactly(expected);
          else assertThat(got).as(what + ", " + threads + " threads").containsExactly(expected, within(dtype == DataType.DOUBLE ? 1e-10 : 1e-4));
          if (!c[1].contains("\"k\": 1")) { // K = 1 has no weights to learn (the softmax of one logit is 1)
            assertThat(java.util.Arrays.stream(got).map(Math::abs).max().orElse(0)).as(what + ": the logits moved").isGreaterThan(1e-3);
          }
        }
        assertThat(fast.params().flatValue().toDoubleArray()).as(what + ": the frozen model is unchanged").containsExactly(before);
      }
    }
  }
}
