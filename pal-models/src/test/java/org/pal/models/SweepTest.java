package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.SplitDataset;
import org.pal.core.eval.Evaluator;
import org.pal.core.experiment.RunResult;
import org.pal.core.experiment.Sweep;
import org.pal.core.model.PalModel;
import org.pal.core.testing.TinyData;
import org.pal.core.train.ProgressListener;

/** A sweep reports, for each (K, seed), exactly what training and the evaluator give for that model and split. */
class SweepTest {
  @Test
  void eachRunReportsItsModelsNumbers() {
    PalConfig base = PalConfig.parse("{\"model\":{\"type\":\"pal-a\",\"k\":9,\"dim\":3},\"trainer\":{\"epochs\":3,\"batchSize\":32,"
        + "\"adapt\":{\"epochs\":5}}}");
    Map<Long, SplitDataset> splits = new HashMap<>();
    List<String> progressNames = new ArrayList<>();
    List<RunResult> seen = new ArrayList<>();
    List<String> checked = new ArrayList<>();
    List<RunResult> out = new Sweep(Pal.load().registry()).run(seed -> TinyData.make(4, 3, 16, 3, 0, seed), base, List.of(1, 2), List.of(5L, 6L), 6,
        List.of(2, 4), seen::add, name -> { progressNames.add(name); return ProgressListener.NONE; }, splits::put, (r, m) -> {
          SplitDataset split = splits.get(r.seed());
          assertThat(m.k()).isEqualTo(r.k());
          assertThat(m.config().trainer().seed()).isEqualTo(r.seed());
          Evaluator.Accuracies acc = Evaluator.evaluate(m, split, 6, m.config().trainer().adapt(), r.seed());
          assertThat(r.seenAccuracy()).isEqualTo(acc.seen());
          assertThat(r.unseenAccuracy()).isEqualTo(acc.unseenFewShot());
          assertThat(r.zeroShotAccuracy()).isEqualTo(acc.zeroShot());
          assertThat(r.seenTestPairs()).isEqualTo(acc.seenPairs()).isEqualTo(split.test().length);
          assertThat(r.unseenTestPairs()).isEqualTo(acc.unseenTestPairs()).isEqualTo(3 * 10);
          assertThat(r.trainPairs()).isEqualTo(split.train().length);
          assertThat(r.unseenAccuracyByShots()).isEqualTo(Evaluator.fewShotCurve(m, split, List.of(2, 4), m.config().trainer().adapt(), r.seed()));
          assertThat(Evaluator.accuracy(m, split.data(), split.validation(), split.rowIndex(split.seenUsers()), m.users()))
              .isEqualTo(r.bestValidationAccuracy());
          checked.add(r.k() + "/" + r.seed());
        });
    assertThat(out).hasSize(4).isEqualTo(seen);
    assertThat(checked).containsExactly("1/5", "1/6", "2/5", "2/6");
    assertThat(progressNames).containsExactly("K=1 seed=5", "K=1 seed=6", "K=2 seed=5", "K=2 seed=6");
    assertThat(splits).containsOnlyKeys(5L, 6L);
    assertThat(out).allSatisfy(r -> {
      assertThat(r.model()).isEqualTo("pal-a");
      assertThat(r.epochsRun()).isEqualTo(3);
      assertThat(r.bestEpoch()).isBetween(1, 3);
      assertThat(r.unseenAccuracyByShots()).containsOnlyKeys(2, 4);
    });
    assertThat(base.model().get("k").asInt()).as("the base config is not modified").isEqualTo(9);
    List<RunResult> noCurve = new Sweep(Pal.load().registry()).run(seed -> TinyData.make(4, 0, 16, 3, 0, seed), base, List.of(2), List.of(5L), 6,
        null, name -> ProgressListener.NONE);
    assertThat(noCurve.get(0).unseenAccuracyByShots()).isEmpty();
    assertThat(noCurve.get(0).unseenAccuracy()).as("no unseen users: absent, not NaN").isNull();
  }
}
