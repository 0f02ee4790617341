package org.pal.spark;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.pal.api.Comparison;
import org.pal.api.Enrolment;
import org.pal.api.Input;
import org.pal.api.InputParser;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.ScoreRequest;
import org.pal.api.Scores;
import org.pal.api.User;
import org.pal.core.PalException;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;
import org.pal.core.model.PalModel;
import org.pal.core.spi.Embedder;
import org.pal.core.spi.ImageEmbedder;
import org.pal.core.tensor.Param;
import org.pal.datasets.RecordsDataset;

/**
 * PAL on Apache Spark: where a Java user starts. Embeds a column into vectors, scores rows with a
 * model archive, enrols users from their comparisons, and prepares a dataset directory from a record
 * table, as Spark jobs that call the library API ({@link PalApi}, {@link RewardModel}) inside the
 * executors and give the numbers it gives on one machine.
 *
 * <pre>{@code
 * SparkSession spark = PalSpark.sessionBuilder("pal").master("local[*]").getOrCreate();
 * PalSpark pal = PalSpark.on(spark).skipInvalid(true);
 * Dataset<Row> scored = pal.score(spark.read().parquet("rows.parquet"), Path.of("model"));
 * scored.write().parquet("scored.parquet");
 * System.out.println(pal.skippedRows() + " rows skipped");
 * }</pre>
 *
 * <p>Each executor JVM opens an encoder or model once and shares it between its tasks; tasks feed it
 * batches of their partition. Model archives travel to the executors as a broadcast (no shared file
 * system needed); encoders named by a directory in their config must exist on every executor
 * (built-in encoders ship inside the jar). Values of text columns follow the record format: text,
 * {@code image:PATH} or {@code npy:FILE#ROW} with paths confined to the data root, which executors
 * must see.
 *
 * <p>Instances are immutable; the {@code with} methods return a copy. Every instance counts the rows
 * it skipped over all its jobs.
 */
public final class PalSpark {
  /** The output column of {@link #embed}. */
  public static final String EMBEDDING = "embedding";
  /** The output column of {@link #score}. */
  public static final String REWARD = "reward";

  private final SparkSession spark;
  private final BadRows bad;
  private final boolean skipInvalid;
  private final int batchSize;
  private final String dataRoot;
  private final String idColumn;
  private final boolean zeroShotUnknown;

  private PalSpark(SparkSession spark, BadRows bad, boolean skipInvalid, int batchSize, String dataRoot, String idColumn, boolean zeroShotUnknown) {
    this.spark = spark;
    this.bad = bad;
    this.skipInvalid = skipInvalid;
    this.batchSize = batchSize;
    this.dataRoot = dataRoot;
    this.idColumn = idColumn;
    this.zeroShotUnknown = zeroShotUnknown;
  }

  /** PAL's jobs on this session: failing on a bad row, batches of 1,024 rows, the driver's working folder as data root. */
  public static PalSpark on(SparkSession spark) {
    return new PalSpark(spark, counters(spark, false), false, 1024, Path.of("").toAbsolutePath().toString(), null, false);
  }

  /**
   * A session builder with what PAL's executors need: ONNX Runtime's telemetry off in their
   * environment (it can crash a JVM with a long command line). In local mode the driver is the
   * executor: export {@code ORT_DISABLE_TELEMETRY=1} before starting it (bin/pal-spark-local does).
   */
  public static SparkSession.Builder sessionBuilder(String appName) {
    return SparkSession.builder().appName(appName).config("spark.executorEnv." + ExecutorResources.TELEMETRY_ENV, "1");
  }

  private static BadRows counters(SparkSession spark, boolean skip) {
    return new BadRows(skip, spark.sparkContext().longAccumulator("pal skipped rows"), spark.sparkContext().collectionAccumulator("pal problems"));
  }

  /** Skip rows that cannot be used and count them ({@link #skippedRows()}), instead of failing the job naming the first. */
  public PalSpark skipInvalid(boolean skip) {
    return new PalSpark(spark, counters(spark, skip), skip, batchSize, dataRoot, idColumn, zeroShotUnknown);
  }

  /** Rows per call into the encoder or model inside a task. */
  public PalSpark batchSize(int rows) {
    if (rows < 1) throw PalException.badInput("batchSize", rows, "must be at least 1");
    return new PalSpark(spark, bad, skipInvalid, rows, dataRoot, idColumn, zeroShotUnknown);
  }

  /** The folder that {@code image:} and {@code npy:} paths resolve inside (as every executor sees it). */
  public PalSpark dataRoot(Path root) {
    return new PalSpark(spark, bad, skipInvalid, batchSize, root.toAbsolutePath().normalize().toString(), idColumn, zeroShotUnknown);
  }

  /** A column whose value names a row in messages, besides its partition and position. */
  public PalSpark idColumn(String column) {
    return new PalSpark(spark, bad, skipInvalid, batchSize, dataRoot, column, zeroShotUnknown);
  }

  /** Score users the model does not know with zero-shot weights instead of treating their rows as invalid. */
  public PalSpark zeroShotUnknown(boolean zeroShot) {
    return new PalSpark(spark, bad, skipInvalid, batchSize, dataRoot, idColumn, zeroShot);
  }

  /** Rows skipped so far by this instance's jobs (valid after the action that ran them). */
  public long skippedRows() {
    return bad.skipped();
  }

  /** The first few skipped rows' reasons, each naming its row. */
  public List<String> problems() {
    return bad.problems();
  }

  public SparkSession spark() {
    return spark;
  }

  // ---- embed

  /**
   * {@code input} with a column {@value #EMBEDDING} (array of float): the encoder's vector of
   * {@code column}, which holds text (or {@code image:PATH}) as strings, or encoded images as binary.
   * The same vectors as {@code registry.embedder(encoder).embed(texts)} on one machine.
   *
   * @param encoder an embedder config, e.g. {@code {"type": "onnx-sentence"}} (the default MiniLM);
   *                with {@code "cache": DIR} vectors are cached there (a folder every executor sees)
   */
  public Dataset<Row> embed(Dataset<Row> input, String column, JsonNode encoder) {
    StructType schema = input.schema();
    Cells.Kind kind = Cells.kind(schema, column, "embed");
    if (kind == Cells.Kind.VECTOR) throw PalException.badInput("embed column " + column, "an array", "is a vector already; embed text or images");
    if (Cells.indexOrMissing(schema, EMBEDDING) >= 0) throw PalException.badInput("input column", EMBEDDING, "would be overwritten; rename it");
    StructType out = schema.add(EMBEDDING, DataTypes.createArrayType(DataTypes.FloatType, false), false);
    EmbedTask task = new EmbedTask(Json.write(encoder), Cells.index(schema, column, "embed"), kind, dataRoot, batchSize, bad, idIndex(schema));
    return input.mapPartitions(task, Cells.rowEncoder(out, List.of(EMBEDDING))).toDF();
  }

  private int idIndex(StructType schema) {
    return idColumn == null ? -1 : Cells.index(schema, idColumn, "id");
  }

  static final class EmbedTask implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final String encoder;
    private final int column;
    private final Cells.Kind kind;
    private final String dataRoot;
    private final int batch;
    private final BadRows bad;
    private final int idColumn;

    EmbedTask(String encoder, int column, Cells.Kind kind, String dataRoot, int batch, BadRows bad, int idColumn) {
      this.encoder = encoder;
      this.column = column;
      this.kind = kind;
      this.dataRoot = dataRoot;
      this.batch = batch;
      this.bad = bad;
      this.idColumn = idColumn;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      int partition = TaskContext.getPartitionId();
      long[] offset = {0};
      InputParser parser = new InputParser(Path.of(dataRoot));
      return Cells.batched(rows, batch, part -> {
        Embedder e = ExecutorResources.embedder(encoder);
        List<Row> ok = new ArrayList<>();
        List<Input> inputs = new ArrayList<>();
        List<String> where = new ArrayList<>();
        Path tmp = null;
        try {
          for (Row r : part) {
            String w = BadRows.where(partition, ++offset[0], idColumn < 0 ? null : r.get(idColumn));
            try {
              Input in;
              if (kind == Cells.Kind.BYTES) {
                if (tmp == null) tmp = Files.createTempDirectory("pal-spark-images-");
                in = Input.image(ImageBytes.write(r.isNullAt(column) ? null : (byte[]) r.get(column), tmp, ok.size()));
              } else {
                in = parser.parse(Cells.text(r, column, "column " + r.schema().fieldNames()[column]), "value");
              }
              ok.add(r);
              inputs.add(in);
              where.add(w);
            } catch (RuntimeException ex) {
              bad.handle(w, ex);
            }
          }
          float[][] v = encodeRows(e, inputs, where, bad);
          List<Row> out = new ArrayList<>(ok.size());
          for (int i = 0; i < ok.size(); i++) {
            if (v[i] == null) continue;
            Object[] values = Cells.values(ok.get(i), 1);
            values[values.length - 1] = v[i];
            out.add(RowFactory.create(values));
          }
          return out;
        } catch (IOException ex) {
          throw PalException.environment("cannot write images to a temporary folder: " + ex.getMessage(), ex);
        } finally {
          if (tmp != null) ExecutorResources.deleteTree(tmp);
        }
      });
    }
  }

  /** Vectors of a batch in one call; when a row breaks the call, row by row so it is named (or skipped: null). */
  static float[][] encodeRows(Embedder e, List<Input> inputs, List<String> where, BadRows bad) {
    try {
      return encode(e, inputs);
    } catch (RuntimeException ex) {
      if (!BadRows.isRowProblem(ex) || inputs.size() == 1) {
        if (inputs.size() == 1) {
          bad.handle(where.get(0), ex);
          return new float[1][];
        }
        throw ex;
      }
    }
    float[][] out = new float[inputs.size()][];
    for (int i = 0; i < out.length; i++) {
      try {
        out[i] = encode(e, List.of(inputs.get(i)))[0];
      } catch (RuntimeException ex) {
        bad.handle(where.get(i), ex);
      }
    }
    return out;
  }

  /** Texts through {@code embed}, images through {@code embedImages}, vectors as they are; in input order. */
  static float[][] encode(Embedder e, List<Input> inputs) {
    float[][] out = new float[inputs.size()][];
    List<Integer> texts = new ArrayList<>(), images = new ArrayList<>();
    for (int i = 0; i < out.length; i++) {
      Input in = inputs.get(i);
      if (in instanceof Input.Text) texts.add(i);
      else if (in instanceof Input.Image) images.add(i);
      else out[i] = ((Input.Vector) in).values();
    }
    if (!texts.isEmpty()) {
      float[][] v = e.embed(texts.stream().map(i -> ((Input.Text) inputs.get(i)).text()).toList());
      for (int j = 0; j < v.length; j++) out[texts.get(j)] = v[j];
    }
    if (!images.isEmpty()) {
      if (!(e instanceof ImageEmbedder ie)) throw PalException.badInput("value", "an image", "this encoder embeds text only; use an onnx-clip encoder for images");
      float[][] v = ie.embedImages(images.stream().map(i -> ((Input.Image) inputs.get(i)).path()).toList());
      for (int j = 0; j < v.length; j++) out[images.get(j)] = v[j];
    }
    for (int i = 0; i < out.length; i++) {
      for (float x : out[i]) {
        if (!Float.isFinite(x)) throw PalException.badInput("vector", x, "vectors must be finite");
      }
    }
    return out;
  }

  // ---- score

  /**
   * {@code input} with a column {@value #REWARD} (double): the model's reward of {@code response}
   * under {@code prompt} (models with prompts) for the user of {@code user_id}, or for the simplex
   * weights in {@code weights} where that column is present and not null. Prompt and response are
   * vectors (arrays of numbers: the API's vector path, {@link RewardModel#rewards(double[][], float[][], float[][])})
   * or record-format text (through the encoder the archive records, {@link RewardModel#score}).
   */
  public Dataset<Row> score(Dataset<Row> input, Path model) {
    StructType schema = input.schema();
    JsonNode manifest = ModelArchive.manifest(model);
    boolean prompts = manifest.path("promptDim").asInt() > 0;
    int iUser = Cells.indexOrMissing(schema, "user_id"), iWeights = Cells.indexOrMissing(schema, "weights");
    if (iUser < 0 && iWeights < 0) throw PalException.badInput("input columns", List.of(schema.fieldNames()), "rows to score need 'user_id' or 'weights'");
    DataType weightsType = iWeights < 0 ? null : schema.fields()[iWeights].dataType();
    if (weightsType != null && !(weightsType instanceof StringType || weightsType instanceof ArrayType w && w.elementType() instanceof org.apache.spark.sql.types.NumericType)) {
      throw PalException.badInput("weights column type", weightsType.simpleString(), "give an array of numbers or text (a JSON array or comma-separated)");
    }
    Cells.Kind response = Cells.kind(schema, "response", "score");
    Cells.Kind prompt = prompts ? Cells.kind(schema, "prompt", "score (the model conditions on prompts)") : null;
    if (response == Cells.Kind.BYTES || prompt == Cells.Kind.BYTES) throw PalException.badInput("score columns", "binary", "give image:PATH text or vectors");
    if (Cells.indexOrMissing(schema, REWARD) >= 0) throw PalException.badInput("input column", REWARD, "would be overwritten; rename it");
    boolean vectors = response == Cells.Kind.VECTOR && (prompt == null || prompt == Cells.Kind.VECTOR);
    if (vectors && internalRowScoring && spark instanceof org.apache.spark.sql.classic.SparkSession classic
        && (iUser < 0 || schema.fields()[iUser].dataType() instanceof StringType)) {
      int iPrompt = prompts ? Cells.index(schema, "prompt", "score") : -1, iResponse = Cells.index(schema, "response", "score");
      int id = idIndex(schema);
      VectorScoreTask task = new VectorScoreTask(broadcast(model), schema.length(), iUser, iWeights, weightsType,
          iPrompt, iPrompt < 0 ? null : (ArrayType) schema.fields()[iPrompt].dataType(), iResponse, (ArrayType) schema.fields()[iResponse].dataType(),
          zeroShotUnknown, batchSize, bad, id, id < 0 ? null : schema.fields()[id].dataType());
      // Spark's own rows in and out: no column is converted to a Java object and back, the vectors are one copy each
      JavaRDD<InternalRow> scored = input.queryExecution().toRdd().toJavaRDD().mapPartitions(task);
      return classic.internalCreateDataFrame(scored.rdd(), schema.add(REWARD, DataTypes.DoubleType, false), false);
    }
    ScoreTask task = new ScoreTask(broadcast(model), vectors, iUser, iWeights, prompts ? Cells.index(schema, "prompt", "score") : -1,
        prompt, Cells.index(schema, "response", "score"), response, dataRoot, zeroShotUnknown, batchSize, bad, idIndex(schema));
    List<String> arrays = List.of("prompt", "response", "weights");
    // typed arrays inside the job only; toDF gives callers Spark's usual rows back
    return input.as(Cells.rowEncoder(schema, arrays)).mapPartitions(task, Cells.rowEncoder(schema.add(REWARD, DataTypes.DoubleType, false), arrays)).toDF();
  }

  /** Whether vector rows may take {@link VectorScoreTask}; tests turn it off to check that the generic path gives the same rewards. */
  static volatile boolean internalRowScoring = true;

  private Broadcast<ModelShipment> broadcast(Path model) {
    return JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(ModelShipment.read(model));
  }

  /**
   * Scores a partition in batches of rows: the vector columns arrive as primitive arrays (see
   * {@link Cells#rowEncoder}), each user's weights are looked up once per partition, and each batch
   * is one call into the API ({@link RewardModel#rewards(double[][], float[][], float[][])} for
   * vectors, {@link RewardModel#score} for text).
   */
  static final class ScoreTask implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<ModelShipment> archive;
    private final boolean vectors;
    private final int iUser, iWeights, iPrompt, iResponse, idColumn, batch;
    private final Cells.Kind prompt, response;
    private final String dataRoot;
    private final boolean zeroShotUnknown;
    private final BadRows bad;

    ScoreTask(Broadcast<ModelShipment> archive, boolean vectors, int iUser, int iWeights, int iPrompt, Cells.Kind prompt, int iResponse,
              Cells.Kind response, String dataRoot, boolean zeroShotUnknown, int batch, BadRows bad, int idColumn) {
      this.archive = archive;
      this.vectors = vectors;
      this.iUser = iUser;
      this.iWeights = iWeights;
      this.iPrompt = iPrompt;
      this.prompt = prompt;
      this.iResponse = iResponse;
      this.response = response;
      this.dataRoot = dataRoot;
      this.zeroShotUnknown = zeroShotUnknown;
      this.batch = batch;
      this.bad = bad;
      this.idColumn = idColumn;
    }

    /** A row's weights: its explicit weights, else its user's (looked up once per partition; callers do not modify them). */
    private double[] weights(RewardModel m, Row r, Map<String, double[]> users) {
      if (iWeights >= 0 && !r.isNullAt(iWeights)) return m.weights(User.weights(Cells.weights(r, iWeights, "weights")));
      String id = Cells.text(r, iUser < 0 ? iWeights : iUser, iUser < 0 ? "weights" : "user_id");
      double[] w = users.get(id);
      if (w == null) {
        w = zeroShotUnknown && !m.hasUser(id) ? m.zeroShotWeights() : m.weights(User.id(id));
        users.put(id, w);
      }
      return w;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      int partition = TaskContext.getPartitionId();
      long[] offset = {0};
      InputParser parser = new InputParser(Path.of(dataRoot));
      Map<String, double[]> users = new java.util.HashMap<>();
      return Cells.batched(rows, batch, part -> {
        RewardModel m = ExecutorResources.model(archive.value(), vectors);
        int n = part.size();
        Row[] ok = new Row[n];
        long[] pos = new long[n]; // rows are named (partition, position, id) only when one is bad
        double[][] w = new double[n][];
        Object[] p = new Object[n], x = new Object[n]; // float[] on the vector path, Input otherwise
        int k = 0;
        for (Row r : part) {
          long at = ++offset[0];
          try {
            double[] wi = weights(m, r, users);
            Object pi = iPrompt < 0 ? null : value(r, iPrompt, prompt, parser, "prompt", m.promptDim());
            Object xi = value(r, iResponse, response, parser, "response", m.itemDim());
            ok[k] = r;
            w[k] = wi;
            p[k] = pi;
            x[k] = xi;
            pos[k++] = at;
          } catch (RuntimeException ex) {
            bad.handle(name(partition, at, r), ex);
          }
        }
        double[] u = rewardsOrNaN(m, k, w, p, x, partition, pos, ok);
        List<Row> out = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
          if (Double.isNaN(u[i])) continue;
          Object[] values = Cells.values(ok[i], 1);
          values[values.length - 1] = u[i];
          out.add(RowFactory.create(values));
        }
        return out;
      });
    }

    private Object value(Row r, int i, Cells.Kind kind, InputParser parser, String field, int dim) {
      if (kind == Cells.Kind.VECTOR) {
        float[] v = Cells.vector(r, i, field);
        if (v.length != dim) throw PalException.badInput(field + " length", v.length, "the model reads " + field + " vectors of dimension " + dim);
        return v;
      }
      return Cells.input(r, i, kind, parser, field);
    }

    private String name(int partition, long at, Row r) {
      return BadRows.where(partition, at, idColumn < 0 ? null : r.get(idColumn));
    }

    private double[] rewardsOrNaN(RewardModel m, int n, double[][] w, Object[] p, Object[] x, int partition, long[] pos, Row[] rows) {
      return PalSpark.rewardsOrNaN(n, (from, to) -> rewards(m, from, to, w, p, x), i -> name(partition, pos[i], rows[i]), bad);
    }

    private double[] rewards(RewardModel m, int from, int to, double[][] w, Object[] p, Object[] x) {
      int n = to - from;
      if (vectors) {
        float[][] pv = iPrompt < 0 ? null : new float[n][], xv = new float[n][];
        for (int i = 0; i < n; i++) {
          if (pv != null) pv[i] = (float[]) p[from + i];
          xv[i] = (float[]) x[from + i];
        }
        return m.rewards(java.util.Arrays.copyOfRange(w, from, to), pv, xv);
      }
      List<ScoreRequest> reqs = new ArrayList<>(n);
      for (int i = from; i < to; i++) reqs.add(new ScoreRequest(User.weights(w[i]), (Input) p[i], List.of((Input) x[i])));
      List<Scores> s = m.score(reqs);
      double[] out = new double[n];
      for (int i = 0; i < n; i++) out[i] = s.get(i).rewards()[0];
      return out;
    }
  }

  /** Rewards of rows [from, to) of a batch. */
  interface BatchRewards {
    double[] rewards(int from, int to);
  }

  /** Rewards of a batch of {@code n} rows in one call; when a row breaks it, row by row so it is named (or skipped: NaN). */
  static double[] rewardsOrNaN(int n, BatchRewards batch, java.util.function.IntFunction<String> name, BadRows bad) {
    if (n == 0) return new double[0];
    try {
      return batch.rewards(0, n);
    } catch (RuntimeException ex) {
      if (!BadRows.isRowProblem(ex)) throw ex;
      if (n == 1) {
        bad.handle(name.apply(0), ex);
        return new double[] {Double.NaN};
      }
    }
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      try {
        out[i] = batch.rewards(i, i + 1)[0];
      } catch (RuntimeException ex) {
        bad.handle(name.apply(i), ex);
        out[i] = Double.NaN;
      }
    }
    return out;
  }

  /**
   * Scores vector rows on Spark's internal rows, a batch at a time, without per-row garbage: each
   * row's bytes are copied once into a buffer the task reuses for every batch (Spark's scan reuses its
   * row, and a batch must outlive it), its two vectors are read straight out of the row into float
   * arrays the task also reuses, users are looked up by their UTF-8 bytes once per partition, and the
   * output is one mutable row (the held input joined with the reward) that Spark projects before it
   * asks for the next, as its own operators do. The same rows, rewards and bad-row handling as
   * {@link ScoreTask}; allocating a row copy and two arrays per row took more time than the model.
   */
  static final class VectorScoreTask implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
    private static final long serialVersionUID = 1L;
    /** Rows this JVM scored on this path: lets a local[*] test see that vector input took it. */
    static final java.util.concurrent.atomic.AtomicLong SCORED = new java.util.concurrent.atomic.AtomicLong();
    private final Broadcast<ModelShipment> archive;
    private final int iUser, iWeights, iPrompt, iResponse, idColumn, batch, fields;
    private final DataType weightsType, idType;
    private final ArrayType promptType, responseType;
    private final boolean zeroShotUnknown;
    private final BadRows bad;

    VectorScoreTask(Broadcast<ModelShipment> archive, int fields, int iUser, int iWeights, DataType weightsType, int iPrompt, ArrayType promptType,
                    int iResponse, ArrayType responseType, boolean zeroShotUnknown, int batch, BadRows bad, int idColumn, DataType idType) {
      this.archive = archive;
      this.fields = fields;
      this.iUser = iUser;
      this.iWeights = iWeights;
      this.weightsType = weightsType;
      this.iPrompt = iPrompt;
      this.promptType = promptType;
      this.iResponse = iResponse;
      this.responseType = responseType;
      this.zeroShotUnknown = zeroShotUnknown;
      this.batch = batch;
      this.bad = bad;
      this.idColumn = idColumn;
      this.idType = idType;
    }

    /** As {@link ScoreTask}: explicit weights, else the user's, looked up once per partition. */
    private double[] weights(RewardModel m, InternalRow r, Map<UTF8String, double[]> users) {
      if (iWeights >= 0 && !r.isNullAt(iWeights)) return m.weights(User.weights(Cells.weights(r, iWeights, weightsType, "weights")));
      if (iUser < 0) throw PalException.badInput("weights", "missing", "every row needs weights");
      UTF8String key = r.isNullAt(iUser) ? null : r.getUTF8String(iUser);
      double[] w = key == null ? null : users.get(key);
      if (w == null) {
        String id = key == null ? null : key.toString();
        if (id == null || id.isBlank()) throw PalException.badInput("user_id", id == null ? "missing" : "\"\"", "every row needs user_id");
        w = zeroShotUnknown && !m.hasUser(id) ? m.zeroShotWeights() : m.weights(User.id(id));
        users.put(key.clone(), w);
      }
      return w;
    }

    @Override
    public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
      return new Batches(rows);
    }

    /** One task's partition: reads a batch, scores it in one call, hands its rows out, then reads the next. */
    private final class Batches implements Iterator<InternalRow> {
      private final Iterator<InternalRow> in;
      private final int partition = TaskContext.getPartitionId();
      private final Map<UTF8String, double[]> users = new java.util.HashMap<>();
      private final InternalRow[] held = new InternalRow[batch];
      private final org.apache.spark.sql.catalyst.expressions.UnsafeRow[] views = new org.apache.spark.sql.catalyst.expressions.UnsafeRow[batch];
      private final int[] start = new int[batch], size = new int[batch];
      private final long[] pos = new long[batch]; // rows are named (partition, position, id) only when one is bad
      private final double[][] w = new double[batch][];
      private final float[][] p, x;
      private final JoinedRow joined = new JoinedRow();
      private final org.apache.spark.sql.catalyst.expressions.SpecificInternalRow reward =
          new org.apache.spark.sql.catalyst.expressions.SpecificInternalRow(new StructType().add(REWARD, DataTypes.DoubleType));
      private byte[] bytes = new byte[0];
      private RewardModel m;
      private long offset;
      private double[] u = new double[0];
      private int kept, next;

      Batches(Iterator<InternalRow> in) {
        this.in = in;
        p = iPrompt < 0 ? null : new float[batch][];
        x = new float[batch][];
      }

      @Override
      public boolean hasNext() {
        while (true) {
          while (next < kept && Double.isNaN(u[next])) next++;
          if (next < kept) return true;
          if (!in.hasNext()) return false;
          read();
        }
      }

      @Override
      public InternalRow next() {
        if (!hasNext()) throw new java.util.NoSuchElementException();
        reward.setDouble(0, u[next]);
        return joined.apply(held[next++], reward);
      }

      private void read() {
        if (m == null) m = ExecutorResources.model(archive.value(), true);
        int k = 0, used = 0;
        // a batch is `batch` input rows, bad ones included, as the generic path's: the same rows meet in each
        // call to the model, so the rewards are the same to the bit (BLAS may round a row differently in another company)
        for (int read = 0; read < batch && in.hasNext(); read++) {
          InternalRow r = in.next();
          long at = ++offset;
          try {
            double[] wi = weights(m, r, users);
            if (p != null) p[k] = vector(r, iPrompt, promptType, "prompt", m.promptDim(), p[k]);
            x[k] = vector(r, iResponse, responseType, "response", m.itemDim(), x[k]);
            w[k] = wi;
            if (r instanceof org.apache.spark.sql.catalyst.expressions.UnsafeRow ur) {
              int n = ur.getSizeInBytes();
              if (used + n > bytes.length) bytes = java.util.Arrays.copyOf(bytes, Math.max(used + n, 2 * bytes.length));
              org.apache.spark.unsafe.Platform.copyMemory(ur.getBaseObject(), ur.getBaseOffset(), bytes, org.apache.spark.unsafe.Platform.BYTE_ARRAY_OFFSET + used, n);
              start[k] = used;
              size[k] = n;
              used += n;
              held[k] = null;
            } else {
              held[k] = r.copy();
            }
            pos[k++] = at;
          } catch (RuntimeException ex) {
            bad.handle(BadRows.where(partition, at, idColumn < 0 ? null : Cells.external(r, idColumn, idType)), ex);
          }
        }
        for (int i = 0; i < k; i++) { // now that the buffer has stopped growing
          if (held[i] != null) continue;
          if (views[i] == null) views[i] = new org.apache.spark.sql.catalyst.expressions.UnsafeRow(fields);
          views[i].pointTo(bytes, org.apache.spark.unsafe.Platform.BYTE_ARRAY_OFFSET + start[i], size[i]);
          held[i] = views[i];
        }
        int n = k;
        SCORED.addAndGet(n);
        u = rewardsOrNaN(n, (from, to) -> m.rewards(rows(w, from, to), p == null ? null : rows(p, from, to), rows(x, from, to)),
            i -> BadRows.where(partition, pos[i], idColumn < 0 ? null : Cells.external(held[i], idColumn, idType)), bad);
        kept = n;
        next = 0;
      }
    }

    /** Rows [from, to) of a reused batch array: the array itself when that is all of it (a full batch), else a copy of the references. */
    private static <T> T[] rows(T[] a, int from, int to) {
      return from == 0 && to == a.length ? a : java.util.Arrays.copyOfRange(a, from, to);
    }

    /** A row's vector of the model's dimension, into {@code reuse} where it fits (float elements read in place), else a new array. */
    private static float[] vector(InternalRow r, int i, ArrayType type, String field, int dim, float[] reuse) {
      float[] v = Cells.vector(r, i, type, field, dim, reuse);
      if (v.length != dim) throw PalException.badInput(field + " length", v.length, "the model reads " + field + " vectors of dimension " + dim);
      return v;
    }
  }

  // ---- enrol

  /** The columns of {@link #enrol}'s result. */
  public static final StructType ENROLLED = new StructType()
      .add("user_id", DataTypes.StringType, false)
      .add("weights", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
      .add("logits", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
      .add("comparisons", DataTypes.IntegerType, false)
      .add("validation_accuracy", DataTypes.DoubleType, true);

  private static final String ROW = "__pal_row";

  /**
   * Enrols the users of {@code comparisons} (columns {@code user_id}, {@code prompt} for models with
   * prompts, and {@code chosen}, {@code rejected} or {@code left}, {@code right}, {@code label}; values
   * vectors or record-format text): users are grouped, and each is fitted on its own, in input order,
   * exactly as {@code model.enrol(thatUsersComparisons)} fits them on one machine. One row per user:
   * {@link #ENROLLED} (weights on the simplex, the logits the archive stores, comparisons used, accuracy
   * on the held-out last share, null under 5 comparisons).
   *
   * @param update refit users the model already has, instead of treating their rows as invalid
   */
  public Dataset<Row> enrol(Dataset<Row> comparisons, Path model, boolean update) {
    StructType schema = comparisons.schema();
    JsonNode manifest = ModelArchive.manifest(model);
    boolean prompts = manifest.path("promptDim").asInt() > 0;
    Cells.index(schema, "user_id", "enrol");
    boolean chosenForm = Cells.indexOrMissing(schema, "chosen") >= 0 || Cells.indexOrMissing(schema, "rejected") >= 0;
    for (String c : chosenForm ? List.of("chosen", "rejected") : List.of("left", "right", "label")) Cells.index(schema, c, "enrol");
    boolean hasPrompt = Cells.indexOrMissing(schema, "prompt") >= 0;
    if (prompts && !hasPrompt) throw PalException.badInput("enrol columns", List.of(schema.fieldNames()), "this model conditions on prompts: add a 'prompt' column");
    if (!prompts && hasPrompt) throw PalException.badInput("enrol column", "prompt", "this model was trained without prompts; drop the column");
    Cells.Kind a = Cells.kind(schema, chosenForm ? "chosen" : "left", "enrol"), b = Cells.kind(schema, chosenForm ? "rejected" : "right", "enrol");
    Cells.Kind pk = prompts ? Cells.kind(schema, "prompt", "enrol") : null;
    if (a == Cells.Kind.BYTES || b == Cells.Kind.BYTES || pk == Cells.Kind.BYTES) throw PalException.badInput("enrol columns", "binary", "give image:PATH text or vectors");
    boolean vectors = a == Cells.Kind.VECTOR && b == Cells.Kind.VECTOR && (pk == null || pk == Cells.Kind.VECTOR);
    Dataset<Row> numbered = comparisons.withColumn(ROW, functions.monotonically_increasing_id());
    StructType ns = numbered.schema();
    EnrolTask task = new EnrolTask(broadcast(model), vectors, update, chosenForm, Cells.index(ns, "user_id", "enrol"),
        prompts ? Cells.index(ns, "prompt", "enrol") : -1, pk, Cells.index(ns, chosenForm ? "chosen" : "left", "enrol"), a,
        Cells.index(ns, chosenForm ? "rejected" : "right", "enrol"), b, chosenForm ? -1 : Cells.index(ns, "label", "enrol"),
        Cells.index(ns, ROW, "enrol"), dataRoot, bad, idIndex(ns));
    int iUser = Cells.index(ns, "user_id", "enrol");
    return numbered.as(Cells.rowEncoder(ns, List.of("prompt", "chosen", "rejected", "left", "right"))).groupByKey((MapFunction<Row, String>) r -> r.isNullAt(iUser) ? null : String.valueOf(r.get(iUser)), Encoders.STRING())
        .flatMapGroups(task, Encoders.row(ENROLLED));
  }

  static final class EnrolTask implements FlatMapGroupsFunction<String, Row, Row> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<ModelShipment> archive;
    private final boolean vectors, update, chosenForm;
    private final int iUser, iPrompt, iA, iB, iLabel, iRow, idColumn;
    private final Cells.Kind prompt, a, b;
    private final String dataRoot;
    private final BadRows bad;

    EnrolTask(Broadcast<ModelShipment> archive, boolean vectors, boolean update, boolean chosenForm, int iUser, int iPrompt, Cells.Kind prompt,
              int iA, Cells.Kind a, int iB, Cells.Kind b, int iLabel, int iRow, String dataRoot, BadRows bad, int idColumn) {
      this.archive = archive;
      this.vectors = vectors;
      this.update = update;
      this.chosenForm = chosenForm;
      this.iUser = iUser;
      this.iPrompt = iPrompt;
      this.prompt = prompt;
      this.iA = iA;
      this.a = a;
      this.iB = iB;
      this.b = b;
      this.iLabel = iLabel;
      this.iRow = iRow;
      this.dataRoot = dataRoot;
      this.bad = bad;
      this.idColumn = idColumn;
    }

    @Override
    public Iterator<Row> call(String user, Iterator<Row> rows) {
      List<Row> all = new ArrayList<>();
      rows.forEachRemaining(all::add);
      all.sort(java.util.Comparator.comparingLong(r -> r.getLong(iRow))); // input order: the last share validates
      InputParser parser = new InputParser(Path.of(dataRoot));
      List<Comparison> cs = new ArrayList<>();
      for (Row r : all) {
        String at = BadRows.where(r.getLong(iRow), idColumn < 0 ? null : r.get(idColumn));
        try {
          String id = Cells.text(r, iUser, "user_id");
          Input p = iPrompt < 0 ? null : Cells.input(r, iPrompt, prompt, parser, "prompt");
          Input x = Cells.input(r, iA, a, parser, chosenForm ? "chosen" : "left");
          Input y = Cells.input(r, iB, b, parser, chosenForm ? "rejected" : "right");
          boolean leftWins = chosenForm || RecordsDataset.parseLabel(r.isNullAt(iLabel) ? null : String.valueOf(r.get(iLabel)), "column") == 1;
          cs.add(new Comparison(id, p, leftWins ? x : y, leftWins ? y : x));
        } catch (RuntimeException ex) {
          bad.handle(at, ex);
        }
      }
      if (cs.isEmpty()) return java.util.Collections.emptyIterator();
      RewardModel m = ExecutorResources.model(archive.value(), vectors);
      Enrolment e;
      try {
        e = m.enrol(cs, update);
      } catch (RuntimeException ex) {
        bad.handle("user " + user + " (" + cs.size() + " rows)", ex, cs.size());
        return java.util.Collections.emptyIterator();
      }
      try (RewardModel enrolled = e.model()) {
        Enrolment.EnrolledUser u = e.users().get(0);
        PalModel engine = enrolled.engine();
        int row = engine.userIds().indexOf(user);
        double[] logits = new double[engine.k()];
        for (int j = 0; j < logits.length; j++) logits[j] = engine.users().value().get(row * engine.k() + j);
        return List.of(RowFactory.create(user, u.weights(), logits, u.comparisons(), u.validationAccuracy())).iterator();
      }
    }
  }

  /**
   * Writes {@code model} with the users of an {@link #enrol} result added (their logits; with
   * {@code update}, users it already has are refitted) as a new archive at {@code out}, atomically.
   * The users' rows are collected on the driver: a million users of K = 4 is 32 MB.
   */
  public void mergeEnrolled(Dataset<Row> enrolled, Path model, Path out, boolean update) {
    List<Row> rows = enrolled.select("user_id", "logits").collectAsList();
    if (rows.isEmpty()) throw PalException.badInput("enrolled", "no users", "nothing to merge");
    PalApi api = PalApi.create();
    try (RewardModel base = api.load(model, PalApi.LoadOptions.vectors())) {
      PalModel engine = base.engine();
      List<String> ids = new ArrayList<>(rows.size());
      Param table = engine.newUserTable(rows.size()).get(PalModel.USERS);
      int k = engine.k();
      for (int i = 0; i < rows.size(); i++) {
        ids.add(rows.get(i).getString(0));
        List<Object> l = rows.get(i).getList(1);
        if (l.size() != k) throw PalException.badInput("enrolled logits of " + ids.get(i), l.size(), "the model has K = " + k);
        for (int j = 0; j < k; j++) table.value().set(i * k + j, ((Number) l.get(j)).doubleValue());
      }
      PalModel merged = engine.withUserLogits(api.registry(), ids, table, update);
      ModelArchive.Provenance p = base.provenance();
      Map<String, Object> extra = new LinkedHashMap<>(p == null || p.extra() == null ? Map.of() : p.extra());
      extra.put("enrolledUsers", ids.size() <= 1000 ? ids : ids.size() + " users (pal-spark)");
      ModelArchive.Provenance prov = new ModelArchive.Provenance(p == null ? merged.config().trainer().seed() : p.seed(),
          p == null ? null : p.dataHash(), ModelArchive.VERSION, Instant.now().toString(), extra);
      ModelArchive.save(merged, out, prov, ModelArchive.inputs(model), base.dataset());
    }
  }

  // ---- prepare

  /**
   * Turns a record table (the generic record format as a DataFrame: {@code user_id}, optional
   * {@code prompt}, and {@code left}, {@code right}, {@code label} or {@code chosen}, {@code rejected})
   * into a dataset directory at {@code out}: the same directory as
   * {@code PalApi.writeDataset(pal.dataset({"type": "records", ...}, seed))} writes for the same rows,
   * with the deduplication and the embedding of distinct values done by the cluster.
   *
   * @param encoder the embedder config for text and images (null: the default MiniLM, {@code {"type": "onnx-sentence"}})
   */
  public Prepared prepare(Dataset<Row> records, Path out, JsonNode encoder, Splits splits) {
    return new Prepare(spark, bad, dataRoot, batchSize).run(records, out, encoder == null ? PalConfig.typed("onnx-sentence") : encoder, splits);
  }

  /** Shares of users held out as unseen and of seen users' pairs for validation and test, and the seed (the records dataset's defaults: 0.2, 0.1, 0.2). */
  public record Splits(double unseenShare, double validationShare, double testShare, long seed) implements Serializable {
    public static Splits seed(long seed) {
      return new Splits(0.2, 0.1, 0.2, seed);
    }
  }

  /** What {@link #prepare} wrote: valid rows, skipped rows, users, distinct items and prompts. */
  public record Prepared(long rows, long skipped, int users, int items, int prompts, int pairs, List<String> problems) {}
}
