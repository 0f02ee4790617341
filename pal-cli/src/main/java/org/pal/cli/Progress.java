package org.pal.cli;

import java.io.PrintWriter;
import org.pal.core.train.ProgressListener;

/** Epoch progress on stderr, at most about once a second plus the last epoch. */
final class Progress implements ProgressListener {
  private final PrintWriter err;
  private final String prefix;
  private long last;

  Progress(PrintWriter err, String prefix) {
    this.err = err;
    this.prefix = prefix;
  }

  @Override
  public void onEpoch(EpochReport r) {
    long now = System.nanoTime();
    if (r.epoch() == r.epochs() || now - last > 1_000_000_000L) {
      last = now;
      err.println(prefix + r.line());
      err.flush();
    }
  }
}
