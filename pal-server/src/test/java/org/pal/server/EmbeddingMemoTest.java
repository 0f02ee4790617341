package org.pal.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pal.api.Input;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;

/**
 * The in-memory text memo on its own: what a lookup returns (vectors through, texts only when held),
 * that embed fills in the encoder's vectors and keeps texts per role, least recently used out first,
 * and that its hit and miss counters count texts, not calls.
 */
class EmbeddingMemoTest {
  static RewardModel model;

  @BeforeAll
  static void load() throws Exception {
    PalApi pal = PalApi.create();
    model = pal.load(Models.text(pal));
  }

  static Input t(String s) {
    return Input.text(s);
  }

  @Test
  void lookupPassesVectorsAndReturnsOnlyHeldTexts() {
    Metrics m = new Metrics();
    EmbeddingMemo memo = new EmbeddingMemo(model, 10, m);
    float[] v = new float[model.itemDim()];
    v[0] = 3f;
    float[][] first = memo.lookup(List.of(t("a cat"), Input.vector(v), t("a dog")), false);
    assertThat(first[0]).isNull();
    assertThat(first[1]).containsExactly(v);
    assertThat(first[2]).isNull();
    assertThat(m.memoHits.get()).isZero();
    assertThat(m.memoMisses.get()).as("a lookup never calls the encoder").isZero();

    float[][] e = memo.embed(List.of(t("a cat"), t("a dog")), false);
    float[][] direct = model.embed(List.of(t("a cat"), t("a dog")), false);
    assertThat(e[0]).containsExactly(direct[0]);
    assertThat(e[1]).containsExactly(direct[1]);
    assertThat(m.memoMisses.get()).isEqualTo(2.0);

    float[][] again = memo.lookup(List.of(t("a dog"), t("a bird"), t("a cat")), false);
    assertThat(again[0]).isSameAs(e[1]);
    assertThat(again[1]).isNull();
    assertThat(again[2]).isSameAs(e[0]);
    assertThat(m.memoHits.get()).isEqualTo(2.0);
    assertThat(memo.lookup(List.of(t("a cat")), true)[0]).as("prompts are held apart from responses").isNull();
    assertThat(m.memoHits.get()).isEqualTo(2.0);
  }

  @Test
  void embedServesHeldTextsAndEncodesOnlyTheRest() {
    Metrics m = new Metrics();
    EmbeddingMemo memo = new EmbeddingMemo(model, 10, m);
    float[][] a = memo.embed(List.of(t("a cat")), false);
    float[] v = new float[model.itemDim()];
    v[1] = -2f;
    float[][] b = memo.embed(List.of(t("a cat"), Input.vector(v), t("a fish")), false);
    assertThat(b[0]).as("held: the same vector, not a new encoding").isSameAs(a[0]);
    assertThat(b[1]).containsExactly(v);
    assertThat(b[2]).containsExactly(model.embed(List.of(t("a fish")), false)[0]);
    assertThat(m.memoHits.get()).isEqualTo(1.0);
    assertThat(m.memoMisses.get()).as("a cat once, a fish once; the vector is not a text").isEqualTo(2.0);

    float[][] all = memo.embed(List.of(t("a fish"), t("a cat")), false);
    assertThat(all[0]).isSameAs(b[2]);
    assertThat(all[1]).isSameAs(a[0]);
    assertThat(m.memoHits.get()).isEqualTo(3.0);
    assertThat(m.memoMisses.get()).as("everything held: no encoder call").isEqualTo(2.0);

    float[][] p = memo.embed(List.of(t("a cat")), true);
    assertThat(p[0]).containsExactly(model.embed(List.of(t("a cat")), true)[0]);
    assertThat(m.memoMisses.get()).as("the prompt role has its own memory").isEqualTo(3.0);
    assertThat(memo.lookup(List.of(t("a cat")), true)[0]).isSameAs(p[0]);
    assertThat(memo.lookup(List.of(t("a fish")), true)[0]).isNull();
  }

  @Test
  void theLeastRecentlyUsedTextLeavesFirst() {
    Metrics m = new Metrics();
    EmbeddingMemo memo = new EmbeddingMemo(model, 2, m);
    memo.embed(List.of(t("one"), t("two")), false);
    memo.lookup(List.of(t("one")), false); // "one" is now the most recent
    memo.embed(List.of(t("three")), false); // evicts "two"
    float[][] l = memo.lookup(List.of(t("one"), t("two"), t("three")), false);
    assertThat(l[0]).isNotNull();
    assertThat(l[1]).isNull();
    assertThat(l[2]).isNotNull();

    EmbeddingMemo none = new EmbeddingMemo(model, 0, new Metrics());
    none.embed(List.of(t("one")), false);
    assertThat(none.lookup(List.of(t("one")), false)[0]).as("zero entries: nothing is held").isNull();
  }
}
