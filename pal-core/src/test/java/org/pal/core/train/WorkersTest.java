package org.pal.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkersTest {
  @Test
  void everyTaskRunsOnceEachOnItsOwnThreadAndTaskZeroOnTheCaller() {
    AtomicIntegerArray runs = new AtomicIntegerArray(4);
    Set<Thread> threads = ConcurrentHashMap.newKeySet();
    Thread[] byTask = new Thread[4];
    Workers.shared().run(4, t -> {
      runs.incrementAndGet(t);
      threads.add(Thread.currentThread());
      byTask[t] = Thread.currentThread();
    });
    for (int t = 0; t < 4; t++) assertThat(runs.get(t)).isEqualTo(1);
    assertThat(threads).hasSize(4);
    assertThat(byTask[0]).isSameAs(Thread.currentThread());
    // task i goes to the same worker thread every time
    Thread[] again = new Thread[4];
    Workers.shared().run(4, t -> again[t] = Thread.currentThread());
    assertThat(again).containsExactly(byTask);
  }

  @Test
  void aFailureInAnyTaskReachesTheCallerAfterAllFinished() {
    AtomicIntegerArray done = new AtomicIntegerArray(3);
    assertThatThrownBy(() -> Workers.shared().run(3, t -> {
      if (t == 2) throw new IllegalArgumentException("task 2 failed");
      done.set(t, 1);
    })).isInstanceOf(IllegalArgumentException.class).hasMessage("task 2 failed");
    assertThat(done.get(0)).isEqualTo(1);
    assertThat(done.get(1)).isEqualTo(1);
    // the pool still works afterwards
    AtomicIntegerArray runs = new AtomicIntegerArray(3);
    Workers.shared().run(3, runs::incrementAndGet);
    assertThat(runs.get(0) + runs.get(1) + runs.get(2)).isEqualTo(3);
  }

  @Test
  void aTaskAskingForWorkersRunsItsTasksInline() {
    Thread[][] inner = new Thread[2][3];
    Workers.shared().run(2, t -> Workers.shared().run(3, u -> inner[t][u] = Thread.currentThread()));
    for (Thread[] row : inner) assertThat(row[1]).isSameAs(row[0]).isSameAs(row[2]);
    assertThat(inner[0][0]).isNotSameAs(inner[1][0]);
  }
}
