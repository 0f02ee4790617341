package org.pal.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.pal.api.Input;
import org.pal.api.InputParser;
import org.pal.api.PalApi;
import org.pal.core.PalException;
import org.pal.core.config.Json;
import org.pal.core.data.Pairs;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;
import org.pal.core.data.Table;
import org.pal.datasets.RecordsDataset;
import scala.Tuple2;

/**
 * {@link PalSpark#prepare}: the records dataset's loading, distributed. Rows are numbered in input
 * order (1-based, as the single-machine reader numbers file rows); users, prompts and items are
 * deduplicated by the cluster and numbered in order of first appearance (items: a row's left before
 * its right); distinct values are embedded by the executors; the driver gathers the tables and the
 * index pairs, which is what the dataset directory holds, splits them with the same seeded rule and
 * writes them through {@link PalApi#writeDataset}.
 */
final class Prepare {
  private final SparkSession spark;
  private final BadRows bad;
  private final String dataRoot;
  private final int batch;

  Prepare(SparkSession spark, BadRows bad, String dataRoot, int batch) {
    this.spark = spark;
    this.bad = bad;
    this.dataRoot = dataRoot;
    this.batch = batch;
  }

  /**
   * One record as the single-machine reader sees it: its row number, the values read before it was
   * found invalid (all of them when {@code valid}), in column order ({@code a} = left or chosen,
   * {@code b} = right or rejected), and, when valid, its label and whether the pair is stored
   * swapped (chosen/rejected rows carry no position signal). Invalid records still count for the
   * order of values: the single-machine reader numbers a value when it first reads it, and keeps the
   * value if some valid record uses it.
   */
  record Rec(long row, String user, String prompt, String a, String b, byte label, boolean swap, boolean valid) implements Serializable {
    String left() {
      return swap ? b : a;
    }

    String right() {
      return swap ? a : b;
    }
  }

  PalSpark.Prepared run(Dataset<Row> records, Path out, JsonNode encoder, PalSpark.Splits splits) {
    StructType schema = records.schema();
    List<String> cols = List.of(schema.fieldNames());
    boolean chosenForm = cols.contains("chosen") || cols.contains("rejected");
    boolean hasPrompt = cols.contains("prompt");
    for (String req : chosenForm ? List.of("user_id", "chosen", "rejected") : List.of("user_id", "left", "right", "label")) {
      if (!cols.contains(req)) {
        throw PalException.badInput("record columns", cols, "the record format needs user_id, prompt (optional) and left, right, label or chosen, rejected; '" + req + "' is missing");
      }
    }
    List<String> want = java.util.Arrays.asList("user_id", hasPrompt ? "prompt" : null, chosenForm ? "chosen" : "left", chosenForm ? "rejected" : "right",
        chosenForm ? null : "label");
    List<Column> select = new ArrayList<>();
    for (String c : want) {
      if (c == null) {
        select.add(functions.lit(null).cast("string"));
        continue;
      }
      DataType t = schema.apply(c).dataType();
      if (t instanceof ArrayType || t instanceof BinaryType || t instanceof StructType) {
        throw PalException.badInput("record column " + c + " type", t.simpleString(), "record values are text, image:PATH or npy:FILE#ROW");
      }
      select.add(functions.col(c).cast("string"));
    }
    JavaPairRDD<Row, Long> indexed = records.select(select.toArray(new Column[0])).javaRDD().zipWithIndex();
    BadRows bad = this.bad;
    long before = bad.skipped();
    JavaRDD<Rec> all = indexed.mapPartitions((Iterator<Tuple2<Row, Long>> it) -> {
      List<Rec> outRows = new ArrayList<>();
      while (it.hasNext()) {
        Tuple2<Row, Long> t = it.next();
        long row = t._2() + 1;
        Row v = t._1();
        String where = "row " + row;
        // the single-machine reader's order of checks: user, prompt, left, right, label
        String u = null, p = null, l = null, r = null;
        try {
          u = required(v, 0, "user_id");
          p = hasPrompt ? required(v, 1, "prompt") : null;
          l = required(v, 2, chosenForm ? "chosen" : "left");
          r = required(v, 3, chosenForm ? "rejected" : "right");
          int y = chosenForm ? 1 : RecordsDataset.parseLabel(v.isNullAt(4) ? null : v.getString(4), "column");
          boolean swap = chosenForm && (row * 0x9E3779B97F4A7C15L >>> 63) == 1; // as the records reader: no position signal
          outRows.add(new Rec(row, u, p, l, r, (byte) (swap ? -1 : y), swap, true));
        } catch (RuntimeException e) {
          bad.handle(where, e);
          outRows.add(new Rec(row, null, p, l, r, (byte) 0, false, false)); // the values it read (any) keep their place
        }
      }
      return outRows.iterator();
    }).persist(StorageLevel.MEMORY_AND_DISK());
    JavaRDD<Rec> recs = all.filter(Rec::valid);
    try {
      List<String> users = firstAppearance(recs.mapToPair(r -> new Tuple2<>(r.user(), r.row())));
      long skipped = bad.skipped() - before;
      if (users.isEmpty()) {
        throw PalException.badInput("records", "no valid records", skipped > 0 ? "all " + skipped + " rows were invalid: " + bad.problems() : "the table is empty");
      }
      List<String> prompts = hasPrompt ? firstRead(all.flatMapToPair(r -> r.prompt() == null ? java.util.Collections.emptyIterator()
          : List.of(new Tuple2<>(r.prompt(), new Tuple2<>(r.row(), r.valid()))).iterator())) : null;
      List<String> items = firstRead(all.flatMapToPair(r -> {
        List<Tuple2<String, Tuple2<Long, Boolean>>> read = new ArrayList<>(2);
        if (r.a() != null) read.add(new Tuple2<>(r.a(), new Tuple2<>(2 * r.row(), r.valid())));
        if (r.b() != null) read.add(new Tuple2<>(r.b(), new Tuple2<>(2 * r.row() + 1, r.valid())));
        return read.iterator();
      }));
      String enc = Json.write(encoder);
      Table itemTable = embed("items", items, enc);
      Table promptTable = hasPrompt ? embed("prompts", prompts, enc) : null;

      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      Broadcast<Map<String, Integer>> ui = jsc.broadcast(index(users)), ii = jsc.broadcast(index(items));
      Broadcast<Map<String, Integer>> pi = hasPrompt ? jsc.broadcast(index(prompts)) : null;
      // collect keeps the partitions' order, which zipWithIndex numbered: the pairs come in row order
      List<long[]> pairs = recs.map(r -> new long[] {r.row(), ui.value().get(r.user()), pi == null ? -1 : pi.value().get(r.prompt()),
          ii.value().get(r.left()), ii.value().get(r.right()), r.label()}).collect();
      int n = pairs.size();
      int[] user = new int[n], prompt = new int[n], left = new int[n], right = new int[n];
      byte[] label = new byte[n];
      for (int i = 0; i < n; i++) {
        long[] a = pairs.get(i);
        user[i] = (int) a[1]; prompt[i] = (int) a[2]; left[i] = (int) a[3]; right[i] = (int) a[4]; label[i] = (byte) a[5];
      }
      PreferenceDataset data = new PreferenceDataset(itemTable, promptTable, users, new Pairs(user, prompt, left, right, label));
      SplitDataset split = org.pal.core.data.Splits.bySeed(data, splits.unseenShare(), splits.validationShare(), splits.testShare(), splits.seed());
      ObjectNode prov = Json.mapper().createObjectNode();
      prov.put("source", "pal-spark prepare");
      prov.put("seed", splits.seed());
      PalApi.create().writeDataset(new org.pal.api.Dataset(split, encoder, prov), out);
      return new PalSpark.Prepared(n, skipped, users.size(), items.size(), hasPrompt ? prompts.size() : 0, n, bad.problems());
    } finally {
      all.unpersist(false);
    }
  }

  /** A required value; the row's name is added where the problem is handled. */
  private static String required(Row v, int i, String field) {
    String s = v.isNullAt(i) ? null : v.getString(i);
    if (s == null || s.isBlank()) throw PalException.badInput(field, s == null ? "missing" : "\"\"", "every record needs " + field);
    return s;
  }

  /** Distinct keys ordered by their smallest position. */
  private static List<String> firstAppearance(JavaPairRDD<String, Long> at) {
    List<Tuple2<String, Long>> firsts = new ArrayList<>(at.reduceByKey(Math::min).collect());
    firsts.sort(Comparator.comparingLong(Tuple2::_2));
    List<String> out = new ArrayList<>(firsts.size());
    for (Tuple2<String, Long> t : firsts) out.add(t._1());
    return out;
  }

  /**
   * The values some valid record uses, ordered by where any record (valid or not) first read them:
   * the single-machine reader's numbering after it drops the values only invalid records used.
   */
  private static List<String> firstRead(JavaPairRDD<String, Tuple2<Long, Boolean>> reads) {
    List<Tuple2<String, Tuple2<Long, Boolean>>> firsts = new ArrayList<>(reads
        .reduceByKey((x, y) -> new Tuple2<>(Math.min(x._1(), y._1()), x._2() || y._2()))
        .filter(t -> t._2()._2()).collect());
    firsts.sort(Comparator.comparingLong(t -> t._2()._1()));
    List<String> out = new ArrayList<>(firsts.size());
    for (Tuple2<String, Tuple2<Long, Boolean>> t : firsts) out.add(t._1());
    return out;
  }

  private static Map<String, Integer> index(List<String> values) {
    Map<String, Integer> m = new HashMap<>();
    for (int i = 0; i < values.size(); i++) m.put(values.get(i), i);
    return m;
  }

  /** The vectors of distinct values, embedded by the executors in batches; the driver assembles the table in index order. */
  private Table embed(String name, List<String> values, String encoder) {
    List<Tuple2<Integer, String>> indexed = new ArrayList<>(values.size());
    for (int i = 0; i < values.size(); i++) indexed.add(new Tuple2<>(i, values.get(i)));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int slices = Math.max(1, Math.min(jsc.defaultParallelism() * 4, (values.size() + batch - 1) / batch));
    String root = dataRoot;
    int size = batch;
    List<Tuple2<Integer, float[]>> vecs = jsc.parallelize(indexed, slices).mapPartitions((Iterator<Tuple2<Integer, String>> it) ->
        Cells.batched(it, size, part -> {
          InputParser parser = new InputParser(Path.of(root));
          List<Input> inputs = new ArrayList<>(part.size());
          for (Tuple2<Integer, String> t : part) inputs.add(parse(parser, name, t._2()));
          boolean raw = inputs.stream().anyMatch(in -> !(in instanceof Input.Vector));
          float[][] v = PalSpark.encode(raw ? ExecutorResources.embedder(encoder) : null, inputs);
          List<Tuple2<Integer, float[]>> outRows = new ArrayList<>(part.size());
          for (int i = 0; i < v.length; i++) outRows.add(new Tuple2<>(part.get(i)._1(), v[i]));
          return outRows;
        })).collect();
    float[][] rows = new float[values.size()][];
    for (Tuple2<Integer, float[]> t : vecs) rows[t._1()] = t._2();
    int dim = rows[0].length;
    for (int i = 0; i < rows.length; i++) {
      if (rows[i].length != dim) {
        throw PalException.badInput(name + " value " + describe(values.get(i)), rows[i].length + " numbers", "every " + name + " vector must have the table's dimension " + dim);
      }
    }
    return Table.of(name, rows);
  }

  private static Input parse(InputParser parser, String name, String value) {
    return parser.parse(value, name + " value " + describe(value));
  }

  private static String describe(String v) {
    return v.startsWith("npy:") || v.startsWith("image:") ? v : "(text)"; // texts are personal data: never in messages
  }
}
