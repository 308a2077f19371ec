package io.zogate.proxy.governance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The group-commit queue alone, with a writer the test holds: batching, bounds, failures, close. */
class GroupCommitTest {
  static final class Item extends GroupCommit.Slot {
    final String name;

    Item(String name) {
      this.name = name;
    }
  }

  /** Records each batch; the first write waits for {@link #release} (so the others queue up). */
  static final class HeldWriter implements GroupCommit.Writer<Item> {
    final List<List<String>> batches = new CopyOnWriteArrayList<>();
    final CountDownLatch firstEntered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile String failOn;

    @Override
    public void write(List<Item> batch) throws Exception {
      firstEntered.countDown();
      assertThat(release.await(20, TimeUnit.SECONDS)).isTrue();
      List<String> names = batch.stream().map(i -> i.name).toList();
      if (failOn != null && names.contains(failOn)) {
        throw new java.sql.SQLException("batch with " + failOn + " failed");
      }
      batches.add(names);
    }
  }

  final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  Future<Item> commitAsync(GroupCommit<Item> gc, String name) {
    return pool.submit(() -> {
      Item i = new Item(name);
      gc.commit(i);
      return i;
    });
  }

  /** Bounded wait for a state another thread reaches (a queue length; no latch can observe it). */
  static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as("condition within 10 s").isNegative();
      Thread.sleep(1);
    }
  }

  @Test
  void anAppenderAloneWritesAtOnceInItsOwnThread() throws Exception {
    List<Thread> writers = new ArrayList<>();
    GroupCommit<Item> gc = new GroupCommit<>(batch -> writers.add(Thread.currentThread()), 8, 4, 1, TimeUnit.SECONDS);
    Item i = new Item("a");
    gc.commit(i);
    assertThat(i.failure()).isNull();
    assertThat(writers).containsExactly(Thread.currentThread());
    assertThat(gc.transactions()).isEqualTo(1);
  }

  @Test
  void appendsThatArriveDuringAWriteFormTheNextBatchInQueueOrderCappedAtMaxBatch() throws Exception {
    HeldWriter w = new HeldWriter();
    GroupCommit<Item> gc = new GroupCommit<>(w, 16, 3, 20, TimeUnit.SECONDS);
    List<Future<Item>> all = new ArrayList<>();
    all.add(commitAsync(gc, "first"));
    assertThat(w.firstEntered.await(10, TimeUnit.SECONDS)).isTrue();
    for (int n = 0; n < 5; n++) {
      all.add(commitAsync(gc, "q" + n));
      int queued = n + 1;
      await(() -> gc.queued() == queued); // one at a time, so the queue order is known
    }
    w.release.countDown();
    for (Future<Item> f : all) {
      assertThat(f.get(10, TimeUnit.SECONDS).failure()).isNull();
    }
    assertThat(w.batches).containsExactly(List.of("first"), List.of("q0", "q1", "q2"), List.of("q3", "q4"));
    assertThat(gc.transactions()).isEqualTo(3);
    assertThat(gc.committed()).isEqualTo(6);
  }

  @Test
  void aFailedBatchFailsEveryAppenderInItAndNoOther() throws Exception {
    HeldWriter w = new HeldWriter();
    w.failOn = "bad";
    GroupCommit<Item> gc = new GroupCommit<>(w, 16, 8, 20, TimeUnit.SECONDS);
    Future<Item> first = commitAsync(gc, "first");
    assertThat(w.firstEntered.await(10, TimeUnit.SECONDS)).isTrue();
    List<Future<Item>> batch = List.of(commitAsync(gc, "x"), commitAsync(gc, "bad"), commitAsync(gc, "y"));
    await(() -> gc.queued() == 3);
    w.release.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS).failure()).isNull();
    for (Future<Item> f : batch) {
      assertThat(f.get(10, TimeUnit.SECONDS).failure()).hasMessageContaining("batch with bad failed");
    }
    Item after = new Item("after");
    gc.commit(after);
    assertThat(after.failure()).isNull();
    assertThat(w.batches).containsExactly(List.of("first"), List.of("after"));
    assertThat(gc.transactions()).isEqualTo(2);
  }

  @Test
  void aFullQueueRefusesAfterTheWaitAndAnUntakenSlotIsWithdrawnNeverWritten() throws Exception {
    HeldWriter w = new HeldWriter();
    GroupCommit<Item> gc = new GroupCommit<>(w, 2, 8, 300, TimeUnit.MILLISECONDS);
    Future<Item> first = commitAsync(gc, "first");
    assertThat(w.firstEntered.await(10, TimeUnit.SECONDS)).isTrue();
    Future<Item> a = commitAsync(gc, "a");
    Future<Item> b = commitAsync(gc, "b");
    await(() -> gc.queued() == 2);
    // Queue full: refused once the wait is over, without ever entering the queue.
    Item c = new Item("c");
    long start = System.nanoTime();
    gc.commit(c);
    assertThat(c.failure()).isInstanceOf(GroupCommit.Refused.class).hasMessageContaining("busy");
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(250L, 5_000L);
    // a and b were never taken into a batch within their wait: withdrawn and refused.
    assertThat(a.get(10, TimeUnit.SECONDS).failure()).isInstanceOf(GroupCommit.Refused.class)
        .hasMessageContaining("not written within 300 ms");
    assertThat(b.get(10, TimeUnit.SECONDS).failure()).isInstanceOf(GroupCommit.Refused.class);
    assertThat(gc.queued()).isZero();
    w.release.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS).failure()).as("taken: waited for to the end").isNull();
    assertThat(w.batches).containsExactly(List.of("first"));
  }

  @Test
  void closeLetsQueuedAppendsBeWrittenThenRefusesNewOnes() throws Exception {
    HeldWriter w = new HeldWriter();
    GroupCommit<Item> gc = new GroupCommit<>(w, 16, 8, 20, TimeUnit.SECONDS);
    Future<Item> first = commitAsync(gc, "first");
    assertThat(w.firstEntered.await(10, TimeUnit.SECONDS)).isTrue();
    Future<Item> a = commitAsync(gc, "a");
    await(() -> gc.queued() == 1);
    Future<Boolean> closing = pool.submit(() -> gc.close(20, TimeUnit.SECONDS));
    Item late = new Item("late");
    await(gc::closed);
    gc.commit(late);
    assertThat(late.failure()).hasMessageContaining("closed");
    w.release.countDown();
    assertThat(closing.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(first.get(10, TimeUnit.SECONDS).failure()).isNull();
    assertThat(a.get(10, TimeUnit.SECONDS).failure()).isNull();
    assertThat(w.batches).containsExactly(List.of("first"), List.of("a"));
  }

  @Test
  void closeThatCannotDrainInTimeRefusesTheQueuedButNotTheOneBeingWritten() throws Exception {
    HeldWriter w = new HeldWriter();
    GroupCommit<Item> gc = new GroupCommit<>(w, 16, 8, 20, TimeUnit.SECONDS);
    Future<Item> first = commitAsync(gc, "first");
    assertThat(w.firstEntered.await(10, TimeUnit.SECONDS)).isTrue();
    Future<Item> a = commitAsync(gc, "a");
    await(() -> gc.queued() == 1);
    assertThat(gc.close(200, TimeUnit.MILLISECONDS)).as("a batch still being written").isFalse();
    assertThat(a.get(10, TimeUnit.SECONDS).failure()).hasMessageContaining("closed");
    assertThat(first.isDone()).isFalse();
    w.release.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS).failure()).isNull();
    assertThat(w.batches).containsExactly(List.of("first"));
  }
}
