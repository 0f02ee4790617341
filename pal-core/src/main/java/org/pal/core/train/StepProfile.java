package org.pal.core.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Opt-in timers of a data-parallel training step's phases ({@code pal bench --profile}): where a
 * step's time goes with one worker and with several, i.e. what does not shrink with more workers.
 * Off by default; when off each step pays one volatile read. The counters are written by the
 * training thread only (workers' stamps are read after they joined), so one fit at a time is timed.
 */
public final class StepProfile {
  private static volatile boolean on;
  private static long steps, region, forward0, backward0, othersWork, othersLag, joinWait, update, workers;

  private StepProfile() {}

  /** Starts timing (and clears the counters). */
  public static synchronized void enable() {
    reset();
    on = true;
  }

  public static synchronized void disable() {
    on = false;
  }

  static boolean on() {
    return on;
  }

  public static synchronized void reset() {
    steps = region = forward0 = backward0 = othersWork = othersLag = joinWait = update = workers = 0;
  }

  /**
   * One forward-and-backward region: its wall time and, per task, when it started, finished its
   * forward pass and finished (nanoTime; task 0 runs on the calling thread from {@code regionStart}).
   */
  static synchronized void region(long regionStart, long regionEnd, long[] start, long[] forwardDone, long[] end) {
    steps++;
    workers = start.length;
    region += regionEnd - regionStart;
    forward0 += forwardDone[0] - start[0];
    backward0 += end[0] - forwardDone[0];
    long maxWork = 0, maxLag = 0;
    for (int s = 1; s < start.length; s++) {
      maxWork = Math.max(maxWork, end[s] - start[s]);
      maxLag = Math.max(maxLag, start[s] - regionStart);
    }
    othersWork += maxWork;
    othersLag += maxLag;
    // what the calling thread spent after its own task: waiting for the slowest other task
    joinWait += Math.max(0, regionEnd - end[0]);
  }

  static synchronized void update(long nanos) {
    update += nanos;
  }

  /**
   * Microseconds per step of each phase since {@link #enable} or {@link #reset}: {@code region}
   * (forward and backward, wall), {@code forward0} and {@code backward0} (task 0's own, gather
   * included in forward), {@code othersWork} (the slowest other task's), {@code othersStartLag} (how
   * long after the region's start the last other task began), {@code joinWait} (task 0 waiting for
   * the others) and {@code update} (the optimizer step with the fold of the workers' gradients).
   */
  public static synchronized Map<String, Object> microsPerStep() {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("steps", steps);
    o.put("workers", workers);
    double n = Math.max(1, steps) * 1e3;
    o.put("region", round(region / n));
    o.put("forward0", round(forward0 / n));
    o.put("backward0", round(backward0 / n));
    o.put("othersWork", round(othersWork / n));
    o.put("othersStartLag", round(othersLag / n));
    o.put("joinWait", round(joinWait / n));
    o.put("update", round(update / n));
    return o;
  }

  private static double round(double x) {
    return Math.round(x * 10) / 10.0;
  }
}
