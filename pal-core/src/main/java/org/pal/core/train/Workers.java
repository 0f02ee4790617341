package org.pal.core.train;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The process's worker threads: {@link #run} runs tasks 0..n-1 at once, task 0 on the calling thread
 * and task i on worker thread i (the same thread every time, so a worker's tape stays in one core's
 * caches), and returns when all are done. Threads are daemons, started on first need and kept.
 *
 * <p>Tasks must not depend on which thread runs them: when the pool is busy (another thread's
 * parallel region, or a task asking for workers itself) the tasks run one after another on the
 * calling thread instead, with the same results.
 */
public final class Workers {
  private static final Workers SHARED = new Workers();
  /**
   * Busy-wait time before parking: a training step hands out work and joins every few hundred
   * microseconds (S) to tens of milliseconds (L), and waking a parked thread costs 0.1–0.5 ms on a
   * virtual machine (the idle vCPU must be woken). Measured on a 2-vCPU VM: 4,096 spin-waits last
   * only ~80 µs, so a step's join parked and L lost ~1 ms a step to wake-ups. The waiting thread
   * has its core to itself when workers ≤ cores, so spinning costs nothing else there.
   */
  private static final long SPIN_NANOS = 2_000_000;

  /** Spins until {@code done} or SPIN_NANOS have passed (the caller parks if it is still not done). */
  private static void spinUntil(java.util.function.BooleanSupplier done) {
    long start = System.nanoTime();
    while (!done.getAsBoolean() && System.nanoTime() - start <= SPIN_NANOS) {
      for (int i = 0; i < 64; i++) Thread.onSpinWait();
    }
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final List<Worker> threads = new ArrayList<>();
  private final AtomicInteger pending = new AtomicInteger();
  private volatile Thread caller;
  private volatile IntConsumer body;
  private volatile Throwable failure;

  private Workers() {}

  public static Workers shared() {
    return SHARED;
  }

  /** Runs body(0), ..., body(tasks - 1), in parallel when the pool is free; rethrows the first failure. */
  public void run(int tasks, IntConsumer body) {
    if (tasks <= 1 || lock.isHeldByCurrentThread() || !lock.tryLock()) {
      for (int t = 0; t < tasks; t++) body.accept(t);
      return;
    }
    try {
      while (threads.size() < tasks - 1) {
        Worker w = new Worker(threads.size() + 1);
        w.start();
        threads.add(w);
      }
      this.body = body;
      this.failure = null;
      this.caller = Thread.currentThread();
      pending.set(tasks - 1);
      for (int t = 1; t < tasks; t++) threads.get(t - 1).wake();
      Throwable mine = null;
      try {
        body.accept(0);
      } catch (Throwable e) {
        mine = e;
      }
      spinUntil(() -> pending.get() == 0);
      while (pending.get() > 0) LockSupport.park(this);
      this.body = null;
      Throwable f = mine != null ? mine : failure;
      if (f instanceof RuntimeException re) throw re;
      if (f instanceof Error er) throw er;
      if (f != null) throw new IllegalStateException(f);
    } finally {
      lock.unlock();
    }
  }

  private final class Worker extends Thread {
    private final int index;
    private volatile boolean go;

    Worker(int index) {
      super("pal-worker-" + index);
      this.index = index;
      setDaemon(true);
    }

    void wake() {
      go = true;
      LockSupport.unpark(this);
    }

    @Override
    public void run() {
      while (true) {
        spinUntil(() -> go);
        while (!go) LockSupport.park(this);
        go = false;
        try {
          body.accept(index);
        } catch (Throwable e) {
          if (failure == null) failure = e;
        }
        if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
      }
    }
  }
}
