package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pal.core.PalException;
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

  /** Counts and means recomputed here from softmax weights: a vertex, an edge, the centre, an interior point. */
  @Test
  void countsMatchTheSoftmaxWeightsOfEachUser() {
    PalApi api = PalApi.create();
    double[][] logits = {{9, 0, 0}, {5, 5, 0}, {0, 0, 0}, {0, 1, 2}};
    PalModel m = PalModel.build(api.registry(), PalConfig.parse("{\"model\": {\"type\": \"pal-a\", \"k\": 3, \"dim\": 2}}"), 4, 0,
        List.of("a", "b", "c", "d"), DataType.DOUBLE);
    for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) m.users().value().set(i * 3 + j, logits[i][j]);
    Inspection in = Inspection.of(api.wrap(m, null));
    double[] mean = new double[3];
    int vertex = 0, edge = 0;
    for (double[] l : logits) {
      double z = Math.exp(l[0]) + Math.exp(l[1]) + Math.exp(l[2]);
      double[] w = {Math.exp(l[0]) / z, Math.exp(l[1]) / z, Math.exp(l[2]) / z};
      for (int j = 0; j < 3; j++) mean[j] += w[j] / 4;
      double max = Math.max(w[0], Math.max(w[1], w[2])), min = Math.min(w[0], Math.min(w[1], w[2]));
      if (max > 0.99) vertex++;
      else if (min < 0.01) edge++;
    }
    assertThat(in.k()).isEqualTo(3);
    assertThat(in.users()).isEqualTo(4);
    assertThat(in.meanWeights()).containsExactly(mean, within(1e-9));
    assertThat(vertex).isEqualTo(1);
    assertThat(edge).as("(5, 5, 0): e^0 / (2 e^5 + 1) < 0.01").isEqualTo(1);
    assertThat(in.atVertex()).isEqualTo(vertex);
    assertThat(in.onEdge()).isEqualTo(edge);
    // ties go to the first prototype: (5, 5, 0) and the centre count for prototype 0
    assertThat(in.usersPerPrototype()).containsExactly(3, 0, 1);
    assertThat(in.manyOnBoundary()).as("2 of 4 on the boundary is not more than half").isFalse();
    // K = 1: every user at the one vertex, which is no sign that a larger K fits better
    PalModel one = PalModel.build(api.registry(), PalConfig.parse("{\"model\": {\"type\": \"pal-a\", \"k\": 1, \"dim\": 2}}"), 4, 0,
        List.of("a", "b"), DataType.DOUBLE);
    Inspection in1 = Inspection.of(api.wrap(one, null));
    assertThat(in1.atVertex()).isEqualTo(2);
    assertThat(in1.onEdge()).isZero();
    assertThat(in1.usersPerPrototype()).containsExactly(2);
    assertThat(in1.manyOnBoundary()).isFalse();
    assertThatThrownBy(() -> Inspection.suggestK(List.of())).isInstanceOf(PalException.class).hasMessageContaining("results = []");
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
