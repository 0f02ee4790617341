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
   * Busy-wait iterations (tens of microseconds) before parking: a training step hands out work
   * every few hundred microseconds, and a parked thread takes about as long to wake.
   */
  private static final int SPINS = 1 << 12;

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
      for (int spin = 0; pending.get() > 0 && spin < SPINS; spin++) Thread.onSpinWait();
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
        for (int spin = 0; !go && spin < SPINS; spin++) Thread.onSpinWait();
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
