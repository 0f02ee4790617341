package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.config.PalConfig;
import org.pal.core.experiment.RunResult;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Param;

class InspectionTest {
  @Test
  void countsUsersPerPrototypeAndOnTheBoundary() {
    PalApi api = PalApi.create();
    PalModel m = PalModel.build(api.registry(), PalConfig.parse("{\"model\": {\"type\": \"pal-a\", \"k\": 3, \"dim\": 2}}"), 4, 0,
        List.of("a", "b", "c", "d"), DataType.FLOAT);
    Param u = m.users();
    double[][] logits = {{9, 0, 0}, {0, 9, 0}, {0, 9, -9}, {0, 0, 0}}; // vertex, vertex, vertex-ish, centre
    for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) u.value().set(i * 3 + j, logits[i][j]);
    Inspection in = Inspection.of(api.wrap(m, null));
    assertThat(in.usersPerPrototype()).containsExactly(2, 2, 0); // the centre user ties: the first prototype wins
    assertThat(in.atVertex()).isEqualTo(3); // softmax(9,0,0) = 0.99975 > 0.99
    assertThat(in.onEdge()).isZero();
    assertThat(in.meanWeights()[0] + in.meanWeights()[1] + in.meanWeights()[2]).isCloseTo(1.0, within(1e-6)); // float32 weights
    assertThat(in.manyOnBoundary()).isTrue();
  }

  @Test
  void suggestsTheSmallestKWithinHalfAPointOfTheBest() {
    List<RunResult> runs = List.of(run(1, 0.80), run(1, 0.82), run(2, 0.900), run(2, 0.904), run(3, 0.906), run(3, 0.908));
    Inspection.KChoice c = Inspection.suggestK(runs);
    assertThat(c.validationAccuracyByK()).containsEntry(1, 0.81).containsKeys(2, 3);
    assertThat(c.validationAccuracyByK().get(2)).isCloseTo(0.902, within(1e-12));
    assertThat(c.suggested()).isEqualTo(2); // 0.902 >= 0.907 - 0.005
  }

  private static RunResult run(int k, double val) {
    return new RunResult("pal-a", k, 0, 0.9, null, null, 1, 1, 1, 1, val, 1, 1, 0, Map.of());
  }
}
