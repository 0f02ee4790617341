package org.pal.spark;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.pal.core.PalException;
import org.pal.core.config.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spark-submit --class org.pal.spark.PalSparkMain pal-spark.jar embed|score|enrol|prepare ...}:
 * the four jobs over Parquet, JSONL or CSV paths. Exit codes as the {@code pal} command: 0 success,
 * 2 bad input (the message names the row or field), 1 anything else.
 */
@Command(name = "pal-spark", mixinStandardHelpOptions = true, subcommands = {
    PalSparkMain.Embed.class, PalSparkMain.Score.class, PalSparkMain.Enrol.class, PalSparkMain.Prepare.class},
    description = "PAL's embedding, scoring, enrolment and dataset preparation as Spark jobs.")
public final class PalSparkMain {
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs one command and returns its exit code (tests call this; main exits with it). */
  public static int run(String... args) {
    CommandLine cl = new CommandLine(new PalSparkMain());
    cl.setExecutionExceptionHandler((e, line, parsed) -> {
      PalException p = palCause(e);
      System.err.println("pal-spark: " + (p != null ? p.getMessage() : e.toString()));
      return p != null && p.kind() == PalException.Kind.USER_INPUT ? 2 : 1;
    });
    return cl.execute(args);
  }

  /** The PAL exception inside a Spark job failure (the task's exception travels back as the cause). */
  static PalException palCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof PalException p) return p;
    }
    return null;
  }

  abstract static class Job implements Callable<Integer> {
    @Option(names = "--master", description = "Spark master, e.g. local[*] (default: what spark-submit gives)") String master;
    @Option(names = "--input", required = true, description = "input file or folder: .parquet, .jsonl/.json, .csv/.tsv, or a folder of them with --format") String input;
    @Option(names = "--format", description = "parquet, json or csv (default: from the input's extension)") String format;
    @Option(names = "--skip-invalid", description = "skip and count rows that cannot be used, instead of failing naming the first") boolean skipInvalid;
    @Option(names = "--batch-size", defaultValue = "1024", description = "rows per call into the encoder or model (default ${DEFAULT-VALUE})") int batchSize;
    @Option(names = "--data-root", description = "folder that image: and npy: paths resolve in (default: the input's folder)") Path dataRoot;
    @Option(names = "--id-column", description = "a column that names rows in messages") String idColumn;

    SparkSession spark;
    PalSpark pal;

    @Override
    public final Integer call() throws Exception {
      SparkSession.Builder b = PalSpark.sessionBuilder("pal-spark " + getClass().getSimpleName().toLowerCase(Locale.ROOT));
      if (master != null) b = b.master(master);
      boolean existed = SparkSession.getDefaultSession().isDefined(); // an application (or test) that calls run() keeps its session
      spark = b.getOrCreate();
      try {
        Path in = Path.of(input).toAbsolutePath();
        pal = PalSpark.on(spark).skipInvalid(skipInvalid).batchSize(batchSize)
            .dataRoot(dataRoot != null ? dataRoot : java.nio.file.Files.isDirectory(in) ? in : in.getParent());
        if (idColumn != null) pal = pal.idColumn(idColumn);
        run(read());
        if (skipInvalid) {
          System.err.println("pal-spark: " + pal.skippedRows() + " rows skipped" + (pal.problems().isEmpty() ? "" : "; first: " + pal.problems()));
        }
        return 0;
      } finally {
        if (!existed) spark.stop();
      }
    }

    /** The job; a failure is reported by its exception (exit code 2 for bad input, else 1). */
    abstract void run(Dataset<Row> in) throws Exception;

    Dataset<Row> read() {
      String f = format != null ? format : formatOf(input);
      DataFrameReader r = spark.read();
      return switch (f) {
        case "parquet" -> r.parquet(input);
        case "json" -> r.json(input);
        case "csv" -> r.option("header", true).option("sep", input.toLowerCase(Locale.ROOT).endsWith(".tsv") ? "\t" : ",").csv(input);
        default -> throw PalException.badInput("--format", f, "use parquet, json or csv");
      };
    }

    static String formatOf(String path) {
      String n = path.toLowerCase(Locale.ROOT);
      if (n.endsWith(".parquet")) return "parquet";
      if (n.endsWith(".jsonl") || n.endsWith(".json") || n.endsWith(".ndjson")) return "json";
      if (n.endsWith(".csv") || n.endsWith(".tsv")) return "csv";
      throw PalException.badInput("--input", path, "has no known extension; give --format parquet|json|csv");
    }
  }

  /** Jobs that write a table: Parquet or JSON lines (a Spark output folder). */
  abstract static class TableJob extends Job {
    @Option(names = "--out", required = true, description = "output folder (Spark writes part files into it)") String out;
    @Option(names = "--out-format", defaultValue = "parquet", description = "parquet or json (default ${DEFAULT-VALUE})") String outFormat;
    @Option(names = "--overwrite", description = "replace --out if it exists") boolean overwrite;

    void write(Dataset<Row> d) {
      if (!outFormat.equals("parquet") && !outFormat.equals("json")) throw PalException.badInput("--out-format", outFormat, "use parquet or json");
      d.write().mode(overwrite ? "overwrite" : "errorifexists").format(outFormat).save(out);
    }
  }

  static JsonNode encoder(Path file) {
    return file == null ? Json.parse("{\"type\": \"onnx-sentence\"}") : Json.readTree(file);
  }

  @Command(name = "embed", description = "Add an 'embedding' column (array<float>) for a text, image:PATH or image-bytes column.")
  static final class Embed extends TableJob {
    @Option(names = "--column", required = true, description = "the column to embed") String column;
    @Option(names = "--encoder", description = "JSON embedder config file (default: the built-in all-MiniLM-L6-v2)") Path encoder;

    @Override
    void run(Dataset<Row> in) {
      write(pal.embed(in, column, encoder(encoder)));
    }
  }

  @Command(name = "score", description = "Add a 'reward' column for rows of user_id (or weights), prompt, response.")
  static final class Score extends TableJob {
    @Option(names = "--model", required = true, description = "model archive directory") Path model;
    @Option(names = "--zero-shot-unknown", description = "score users the model does not know with zero-shot weights") boolean zeroShot;

    @Override
    void run(Dataset<Row> in) {
      write(pal.zeroShotUnknown(zeroShot).score(in, model));
    }
  }

  @Command(name = "enrol", description = "Fit each new user's weights from their comparisons; one row per user.")
  static final class Enrol extends TableJob {
    @Option(names = "--model", required = true, description = "model archive directory") Path model;
    @Option(names = "--update", description = "refit users the model already has") boolean update;
    @Option(names = "--merge-into", description = "also write the model with these users added as a new archive here") Path mergeInto;

    @Override
    void run(Dataset<Row> in) {
      Dataset<Row> users = pal.enrol(in, model, update);
      if (mergeInto == null) {
        write(users);
        return;
      }
      users = users.persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
      write(users);
      pal.mergeEnrolled(users, model, mergeInto, update);
      System.err.println("pal-spark: wrote " + mergeInto);
    }
  }

  @Command(name = "prepare", description = "Turn a record table into a dataset directory that 'pal train' reads.")
  static final class Prepare extends Job {
    @Option(names = "--out", required = true, description = "dataset directory to write") Path out;
    @Option(names = "--encoder", description = "JSON embedder config file (default: the built-in all-MiniLM-L6-v2)") Path encoder;
    @Option(names = "--seed", defaultValue = "0", description = "split seed (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--unseen-share", defaultValue = "0.2") double unseen;
    @Option(names = "--validation-share", defaultValue = "0.1") double validation;
    @Option(names = "--test-share", defaultValue = "0.2") double test;

    @Override
    void run(Dataset<Row> in) {
      PalSpark.Prepared p = pal.prepare(in, out, encoder(encoder), new PalSpark.Splits(unseen, validation, test, seed));
      System.out.println(Json.write(p));
    }
  }
}
