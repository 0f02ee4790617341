package org.pal.embeddings;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.logging.Logger;
import org.pal.core.PalException;

/**
 * {@code device: cpu | cuda | auto}. CUDA needs ONNX Runtime's GPU build ({@code onnxruntime_gpu},
 * Maven profile {@code -Pgpu}) and a GPU; {@code auto} falls back to the CPU with one log line,
 * {@code cuda} without one is an error.
 */
final class Devices {
  private static final Logger LOG = Logger.getLogger(Devices.class.getName());

  private Devices() {}

  static void check(String device) {
    if (!device.equals("cpu") && !device.equals("cuda") && !device.equals("auto")) {
      throw PalException.badInput("device", "\"" + device + "\"", "valid devices: [cpu, cuda, auto]");
    }
  }

  static void apply(String device, OrtSession.SessionOptions opts) {
    if (device.equals("cpu")) return;
    try {
      opts.addCUDA(0);
    } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
      if (device.equals("cuda")) {
        throw new PalException(PalException.Kind.ENVIRONMENT, "device = \"cuda\": ONNX Runtime's CUDA provider is not available ("
            + e.getMessage() + "); build with -Pgpu on a machine with an NVIDIA GPU, or use device \"cpu\" or \"auto\"", e);
      }
      LOG.warning("device auto: CUDA is not available (" + e.getMessage() + "); encoding on the CPU");
    }
  }
}
