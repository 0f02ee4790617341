package org.pal.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.encoders.AgnosticEncoder;
import org.apache.spark.sql.catalyst.encoders.AgnosticEncoders;
import org.apache.spark.sql.catalyst.encoders.RowEncoder$;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.pal.api.Input;
import org.pal.api.InputParser;
import org.pal.core.PalException;

/** Reading PAL values out of Spark rows, and running a function over a partition in batches. */
final class Cells {
  private Cells() {}

  /** What a column holds, as far as PAL is concerned. */
  enum Kind { TEXT, VECTOR, BYTES }

  static Kind kind(StructType schema, String column, String role) {
    int i = index(schema, column, role);
    DataType t = schema.fields()[i].dataType();
    if (t instanceof StringType) return Kind.TEXT;
    if (t instanceof BinaryType) return Kind.BYTES;
    if (t instanceof ArrayType a && a.elementType() instanceof NumericType) return Kind.VECTOR;
    throw PalException.badInput(role + " column " + column + " type", t.simpleString(),
        "give text (string: text, image:PATH or npy:FILE#ROW), a vector (array of numbers) or, for images, binary");
  }

  static int index(StructType schema, String column, String role) {
    for (int i = 0; i < schema.fields().length; i++) if (schema.fields()[i].name().equals(column)) return i;
    List<String> names = new ArrayList<>();
    for (StructField f : schema.fields()) names.add(f.name());
    throw PalException.badInput(role + " column", column, "is not a column of the input; columns: " + names);
  }

  static int indexOrMissing(StructType schema, String column) {
    for (int i = 0; i < schema.fields().length; i++) if (schema.fields()[i].name().equals(column)) return i;
    return -1;
  }

  /** A required string value (numbers and booleans as their text). */
  static String text(Row r, int i, String field) {
    Object v = r.isNullAt(i) ? null : r.get(i);
    String s = v == null ? null : v instanceof String str ? str : String.valueOf(v);
    if (s == null || s.isBlank()) throw PalException.badInput(field, s == null ? "missing" : "\"\"", "every row needs " + field);
    return s;
  }

  /**
   * A required vector: an array of numbers, all finite. Columns read through {@link #rowEncoder} come
   * as Java arrays (a {@code float[]} is used as it is); others as a list of boxed numbers.
   */
  static float[] vector(Row r, int i, String field) {
    Object v = r.isNullAt(i) ? null : r.get(i);
    if (v == null) throw PalException.badInput(field, "missing", "every row needs " + field);
    float[] out;
    if (v instanceof float[] f) {
      out = f;
    } else if (v instanceof double[] d) {
      out = new float[d.length];
      for (int j = 0; j < d.length; j++) out[j] = (float) d[j];
    } else {
      Object[] boxed = v instanceof Object[] a ? a : r.getList(i).toArray();
      out = new float[boxed.length];
      for (int j = 0; j < out.length; j++) {
        if (boxed[j] == null) throw PalException.badInput(field + "[" + j + "]", "null", "vectors hold numbers");
        out[j] = ((Number) boxed[j]).floatValue();
      }
    }
    for (int j = 0; j < out.length; j++) {
      if (!Float.isFinite(out[j])) throw PalException.badInput(field + "[" + j + "]", out[j], "vectors must be finite");
    }
    return out;
  }

  /**
   * The generic row encoder of {@code schema}, except that the columns in {@code arrays} that hold
   * arrays of float or double come as Java arrays: {@code float[]}/{@code double[]} when the schema
   * rules out null elements, {@code Float[]}/{@code Double[]} otherwise. Spark's own row encoder
   * turns every array into a Scala sequence of boxed numbers and back, element by element, which
   * costs more than scoring the row; a primitive array is one copy each way.
   */
  static Encoder<Row> rowEncoder(StructType schema, java.util.Collection<String> arrays) {
    List<AgnosticEncoders.EncoderField> fields = new ArrayList<>();
    for (StructField f : schema.fields()) {
      AgnosticEncoder<?> enc = RowEncoder$.MODULE$.encoderForDataType(f.dataType(), false);
      if (arrays.contains(f.name()) && f.dataType() instanceof ArrayType a) {
        boolean nulls = a.containsNull();
        if (a.elementType() instanceof FloatType) {
          enc = array(nulls ? AgnosticEncoders.BoxedFloatEncoder$.MODULE$ : AgnosticEncoders.PrimitiveFloatEncoder$.MODULE$, nulls);
        } else if (a.elementType() instanceof DoubleType) {
          enc = array(nulls ? AgnosticEncoders.BoxedDoubleEncoder$.MODULE$ : AgnosticEncoders.PrimitiveDoubleEncoder$.MODULE$, nulls);
        }
      }
      fields.add(new AgnosticEncoders.EncoderField(f.name(), enc, f.nullable(), f.metadata(), scala.Option.empty(), scala.Option.empty()));
    }
    return new AgnosticEncoders.RowEncoder(scala.jdk.javaapi.CollectionConverters.asScala(fields).toList());
  }

  /** Weights as an array of numbers, a JSON array or comma-separated text. */
  static double[] weights(Row r, int i, String field) {
    Object v = r.get(i);
    return weights(v, v instanceof Object[] || v instanceof String || v instanceof double[] || v instanceof float[] ? null : r.getList(i), field);
  }

  private static double[] weights(Object v, List<?> list, String field) {
    if (v instanceof String s) {
      String t = s.trim();
      if (t.startsWith("[") && t.endsWith("]")) t = t.substring(1, t.length() - 1);
      String[] parts = t.split(",");
      double[] w = new double[parts.length];
      for (int j = 0; j < parts.length; j++) {
        try {
          w[j] = Double.parseDouble(parts[j].trim());
        } catch (NumberFormatException e) {
          throw PalException.badInput(field + "[" + j + "]", parts[j].trim(), "weights are numbers: an array, a JSON array or comma-separated");
        }
      }
      return w;
    }
    if (v instanceof double[] d) return d.clone();
    if (v instanceof float[] f) {
      double[] w = new double[f.length];
      for (int j = 0; j < w.length; j++) w[j] = f[j];
      return w;
    }
    Object[] l = v instanceof Object[] a ? a : list.toArray();
    double[] w = new double[l.length];
    for (int j = 0; j < w.length; j++) {
      if (l[j] == null) throw PalException.badInput(field + "[" + j + "]", "null", "weights are numbers");
      w[j] = ((Number) l[j]).doubleValue();
    }
    return w;
  }

  // ---- Spark's internal rows: the vector scoring path reads them without converting whole rows

  /** A required vector from an internal row's array column of {@code type}: one bulk copy for float and double elements. */
  static float[] vector(InternalRow r, int i, ArrayType type, String field) {
    if (r.isNullAt(i)) throw PalException.badInput(field, "missing", "every row needs " + field);
    ArrayData a = r.getArray(i);
    int n = a.numElements();
    if (type.containsNull()) {
      for (int j = 0; j < n; j++) if (a.isNullAt(j)) throw PalException.badInput(field + "[" + j + "]", "null", "vectors hold numbers");
    }
    DataType e = type.elementType();
    float[] out;
    if (e instanceof FloatType) {
      out = a.toFloatArray();
    } else if (e instanceof DoubleType) {
      double[] d = a.toDoubleArray();
      out = new float[n];
      for (int j = 0; j < n; j++) out[j] = (float) d[j];
    } else {
      out = new float[n];
      for (int j = 0; j < n; j++) out[j] = (float) number(a.get(j, e));
    }
    for (int j = 0; j < n; j++) {
      if (!Float.isFinite(out[j])) throw PalException.badInput(field + "[" + j + "]", out[j], "vectors must be finite");
    }
    return out;
  }

  /**
   * The same vector, when it is {@code dim} floats in Spark's own array format, copied in place into
   * {@code reuse} (a new array when that is null or of another length); otherwise as {@link #vector(InternalRow, int, ArrayType, String)}.
   * The same values and the same errors either way.
   */
  static float[] vector(InternalRow r, int i, ArrayType type, String field, int dim, float[] reuse) {
    if (r.isNullAt(i) || !(type.elementType() instanceof FloatType) || !(r.getArray(i) instanceof UnsafeArrayData a) || a.numElements() != dim) {
      return vector(r, i, type, field);
    }
    if (type.containsNull()) {
      for (int j = 0; j < dim; j++) if (a.isNullAt(j)) throw PalException.badInput(field + "[" + j + "]", "null", "vectors hold numbers");
    }
    float[] out = reuse != null && reuse.length == dim ? reuse : new float[dim];
    Platform.copyMemory(a.getBaseObject(), a.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(dim), out, Platform.FLOAT_ARRAY_OFFSET, 4L * dim);
    for (int j = 0; j < dim; j++) {
      if (!Float.isFinite(out[j])) throw PalException.badInput(field + "[" + j + "]", out[j], "vectors must be finite");
    }
    return out;
  }

  /** Weights from an internal row: an array of numbers or text (a JSON array or comma-separated), as {@link #weights(Row, int, String)}. */
  static double[] weights(InternalRow r, int i, DataType type, String field) {
    if (type instanceof StringType) return weights(r.getUTF8String(i).toString(), null, field);
    if (!(type instanceof ArrayType t)) throw PalException.badInput(field + " column type", type.simpleString(), "give an array of numbers or text");
    ArrayData a = r.getArray(i);
    double[] w = new double[a.numElements()];
    for (int j = 0; j < w.length; j++) {
      if (a.isNullAt(j)) throw PalException.badInput(field + "[" + j + "]", "null", "weights are numbers");
      w[j] = number(a.get(j, t.elementType()));
    }
    return w;
  }

  /** A value of an internal row as the public row API shows it (for messages). */
  static Object external(InternalRow r, int i, DataType type) {
    return r.isNullAt(i) ? null : org.apache.spark.sql.catalyst.CatalystTypeConverters.convertToScala(r.get(i, type), type);
  }

  private static double number(Object o) {
    return o instanceof org.apache.spark.sql.types.Decimal d ? d.toDouble() : ((Number) o).doubleValue();
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static AgnosticEncoder<?> array(AgnosticEncoder<?> element, boolean containsNull) {
    return new AgnosticEncoders.ArrayEncoder(element, containsNull);
  }

  /** A prompt or response: text values through the record format's syntax, arrays as vectors. */
  static Input input(Row r, int i, Kind kind, InputParser parser, String field) {
    if (kind == Kind.VECTOR) return Input.vector(vector(r, i, field));
    return parser.parse(text(r, i, field), field);
  }

  static Object[] values(Row r, int extra) {
    Object[] v = new Object[r.length() + extra];
    for (int i = 0; i < r.length(); i++) v[i] = r.get(i);
    return v;
  }

  /** Applies {@code f} to consecutive batches of {@code size} rows, lazily, so a partition is never held whole. */
  static <I, O> Iterator<O> batched(Iterator<I> in, int size, Function<List<I>, List<O>> f) {
    return new Iterator<>() {
      private Iterator<O> out = java.util.Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        while (!out.hasNext() && in.hasNext()) {
          List<I> batch = new ArrayList<>(size);
          while (batch.size() < size && in.hasNext()) batch.add(in.next());
          out = f.apply(batch).iterator();
        }
        return out.hasNext();
      }

      @Override
      public O next() {
        if (!hasNext()) throw new NoSuchElementException();
        return out.next();
      }
    };
  }
}
