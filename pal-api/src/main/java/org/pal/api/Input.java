package org.pal.api;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.pal.core.PalException;

/**
 * One prompt or response as the model receives it: raw text, an image file, or a vector that was
 * embedded elsewhere. Texts and images go through the encoder recorded in the model archive;
 * vectors must have the model's input dimension. Equal inputs are encoded once per call.
 */
public sealed interface Input permits Input.Text, Input.Image, Input.Vector {

  static Input text(String text) {
    return new Text(text);
  }

  static Input image(Path path) {
    return new Image(path);
  }

  static Input vector(float[] values) {
    return new Vector(values);
  }

  static Input vector(double[] values) {
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
    return new Vector(f);
  }

  /** A row vector (1 x D or a length-D vector) from ND4J. */
  static Input vector(INDArray values) {
    if (values.rank() > 2 || (values.rank() == 2 && values.rows() != 1)) {
      throw PalException.badInput("vector.shape", Arrays.toString(values.shape()), "give one vector (length D or 1 x D); pass matrices to the batch methods");
    }
    return new Vector(values.toFloatVector());
  }

  /** Raw text. Never echoed in error messages or logs: texts are personal data. */
  record Text(String text) implements Input {
    public Text {
      if (text == null) throw PalException.badInput("text", "null", "give a string (it may be empty)");
    }

    @Override
    public String toString() {
      return "Text[" + text.length() + " chars]";
    }
  }

  /** An image file, for models whose encoder embeds images (onnx-clip). */
  record Image(Path path) implements Input {
    public Image {
      Objects.requireNonNull(path, "path");
      path = path.toAbsolutePath().normalize();
    }
  }

  /** A precomputed embedding. Compared by content, so equal vectors are scored once. */
  record Vector(float[] values) implements Input {
    public Vector {
      if (values == null || values.length == 0) throw PalException.badInput("vector", "empty", "give the embedding's values");
      for (int i = 0; i < values.length; i++) {
        if (!Float.isFinite(values[i])) throw PalException.badInput("vector[" + i + "]", values[i], "embeddings must be finite");
      }
      values = values.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Vector v && Arrays.equals(values, v.values);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(values);
    }

    @Override
    public String toString() {
      return "Vector[" + values.length + "]";
    }
  }
}
