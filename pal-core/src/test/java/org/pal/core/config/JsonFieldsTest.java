package org.pal.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.pal.core.PalException;

/** Each accepted form of an id, a row number and a label, and each refusal with what it names. */
class JsonFieldsTest {
  private static JsonNode row(String json) {
    return Json.mapper().valueToTree(Json.parse(json));
  }

  private static void refused(Runnable r, String... fragments) {
    var t = assertThatThrownBy(r::run).isInstanceOf(PalException.class);
    for (String f : fragments) t.hasMessageContaining(f);
  }

  @Test
  void rowNumbersAreWholeAndInRange() {
    assertThat(JsonFields.row(row("{\"r\":0}"), "r", 5, "pair 1")).isZero();
    assertThat(JsonFields.row(row("{\"r\":4}"), "r", 5, "pair 1")).isEqualTo(4);
    refused(() -> JsonFields.row(row("{\"r\":5}"), "r", 5, "pair 1"), "pair 1 r = 5", "row number in 0..4");
    refused(() -> JsonFields.row(row("{\"r\":-1}"), "r", 5, "pair 1"), "r = -1", "0..4");
    refused(() -> JsonFields.row(row("{\"r\":1.5}"), "r", 5, "pair 1"), "r = 1.5", "whole row number in 0..4");
    refused(() -> JsonFields.row(row("{\"r\":\"3\"}"), "r", 5, "pair 1"), "r = (string)", "whole row number");
    refused(() -> JsonFields.row(row("{\"r\":1e100}"), "r", 5, "pair 1"), "r = 1.0E100");
    refused(() -> JsonFields.row(row("{\"r\":4294967296}"), "r", 5, "pair 1"), "r = 4294967296");
    refused(() -> JsonFields.row(row("{}"), "r", 5, "pair 1"), "'r'");
  }

  @Test
  void labelsAreOneMinusOneOrZero() {
    assertThat(JsonFields.label(row("{\"y\":1}"), "y", "pair 2")).isEqualTo(1);
    assertThat(JsonFields.label(row("{\"y\":1.0}"), "y", "pair 2")).isEqualTo(1);
    assertThat(JsonFields.label(row("{\"y\":0}"), "y", "pair 2")).isEqualTo(-1);
    assertThat(JsonFields.label(row("{\"y\":-1}"), "y", "pair 2")).isEqualTo(-1);
    refused(() -> JsonFields.label(row("{\"y\":2}"), "y", "pair 2"), "pair 2 y = 2", "must be 1 (left preferred), -1 or 0");
    refused(() -> JsonFields.label(row("{\"y\":0.5}"), "y", "pair 2"), "y = 0.5");
    refused(() -> JsonFields.label(row("{\"y\":\"1\"}"), "y", "pair 2"), "y = (string)");
    refused(() -> JsonFields.label(row("{\"y\":true}"), "y", "pair 2"), "y = (a boolean)");
    refused(() -> JsonFields.label(row("{\"y\":null}"), "y", "pair 2"), "y");
  }

  @Test
  void idsAreNonBlankStringsAndOthersAreNamedByKind() {
    assertThat(JsonFields.id(row("{\"id\":\"u1\"}"), "id", "user 3")).isEqualTo("u1");
    refused(() -> JsonFields.id(row("{\"id\":\" \"}"), "id", "user 3"), "user 3: field 'id' is empty");
    refused(() -> JsonFields.id(row("{\"id\":7}"), "id", "user 3"), "user 3: field 'id' must be a string", "found a number");
    refused(() -> JsonFields.id(row("{\"id\":false}"), "id", "user 3"), "found a boolean");
    refused(() -> JsonFields.id(row("{\"id\":{}}"), "id", "user 3"), "found an object");
    refused(() -> JsonFields.id(row("{\"id\":[]}"), "id", "user 3"), "found an array");
  }
}
