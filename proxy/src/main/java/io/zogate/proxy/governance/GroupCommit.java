package io.zogate.proxy.governance;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit: many appenders, one committer at a time, one transaction (one fsync) per batch.
 *
 * <p>Why: with {@code synchronous=FULL} every SQLite COMMIT waits for an fsync. One transaction
 * per append makes N concurrent appenders pay N fsyncs one after the other. Here each appender
 * queues a {@link Slot}. If no batch is being written, the appender itself becomes the
 * committer: it takes every slot pending at that moment (up to {@code maxBatch}, its own
 * first if the queue was empty), hands them to the {@link Writer}, which writes them in one
 * transaction in queue order, and only after that transaction committed (or failed) marks each
 * slot done. Otherwise it waits; slots that arrive while a batch is being written form the next
 * batch, written by one of their appenders as soon as the previous one ends. So an appender
 * returns only once its own entry is durable, a failed transaction fails every slot in it, and
 * an appender alone writes at once in its own thread (no linger, no hand-off).
 *
 * <p>Bounded: at most {@code capacity} slots wait. An appender that cannot queue, or whose slot
 * is not taken into a batch within {@code wait}, withdraws it and is refused ({@link
 * Refused}), fail closed. Once taken, a slot is waited for to the end of its transaction, which
 * the writer bounds (busy timeout): an appender is never told "failed" about an entry that then
 * commits. Every queued slot has its appender waiting, and waiting appenders take turns as
 * committer, so the queue always drains; {@link #close} refuses new slots and waits (bounded)
 * for the queued ones to be written.
 *
 * <p>Used by the SQLite ledger and the SQLite replay store; it lives here because governance
 * may depend on nothing outside itself and the JDK.
 */
public final class GroupCommit<S extends GroupCommit.Slot> {

  /** Writes a batch in one transaction; throws (nothing of the batch committed) to fail every slot. */
  public interface Writer<S> {
    void write(List<S> batch) throws Exception;
  }

  /** One appender's item. Its results (set by the writer) count only if {@link #failure()} is null. */
  public abstract static class Slot {
    // Guarded by the GroupCommit's lock; the writer's results are published by setting done under it.
    boolean taken;
    boolean done;
    Throwable failure;

    /** Why the slot was not committed: its batch's error, or {@link Refused}. Null: committed. */
    public final Throwable failure() {
      return failure;
    }
  }

  /** A slot that never reached a transaction (busy, closed, interrupted). */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message);
    }
  }

  private final Writer<S> writer;
  private final int capacity;
  private final int maxBatch;
  private final long waitNanos;
  private final ReentrantLock lock = new ReentrantLock();
  /** Signalled when a batch ends, a slot leaves the queue, or the object closes. */
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<S> queue = new ArrayDeque<>();
  private final AtomicLong transactions = new AtomicLong();
  private final AtomicLong committed = new AtomicLong();
  private boolean writing; // guarded by lock: a batch is being written
  private boolean closed; // guarded by lock

  /** @param wait how long an appender may wait to queue and to be taken into a batch */
  public GroupCommit(Writer<S> writer, int capacity, int maxBatch, long wait, TimeUnit unit) {
    if (capacity < 1 || maxBatch < 1) {
      throw new IllegalArgumentException("capacity and maxBatch must be positive");
    }
    this.writer = writer;
    this.capacity = capacity;
    this.maxBatch = maxBatch;
    this.waitNanos = unit.toNanos(wait);
  }

  /**
   * Returns once the slot is committed or failed ({@link Slot#failure()}). An {@link Error} from
   * the writer is rethrown to the appender that was writing the batch.
   */
  public void commit(S slot) {
    long deadline = System.nanoTime() + waitNanos;
    boolean interrupted = false;
    lock.lock();
    try {
      while (!closed && queue.size() >= capacity) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || interrupted) {
          slot.failure = new Refused(interrupted ? "interrupted" : "busy: " + capacity + " appends already queued");
          return;
        }
        try {
          changed.awaitNanos(left);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (closed) {
        slot.failure = new Refused("closed");
        return;
      }
      queue.addLast(slot);
      while (!slot.done) {
        if (!writing && !interrupted) {
          writeNextBatch(); // its own slot is in it unless maxBatch others were queued first
          continue;
        }
        if (slot.taken) {
          // Its transaction is under way: wait for its end, however it ends.
          changed.awaitUninterruptibly();
          continue;
        }
        long left = deadline - System.nanoTime();
        if (interrupted || left <= 0) {
          queue.remove(slot);
          slot.failure = new Refused(interrupted ? "interrupted"
              : "busy: not written within " + TimeUnit.NANOSECONDS.toMillis(waitNanos) + " ms");
          changed.signalAll();
          return;
        }
        try {
          changed.awaitNanos(left);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      lock.unlock();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Under the lock, with the queue not empty and no batch being written; releases it to write. */
  private void writeNextBatch() {
    List<S> batch = new ArrayList<>(Math.min(maxBatch, queue.size()));
    while (batch.size() < maxBatch && !queue.isEmpty()) {
      S s = queue.pollFirst();
      s.taken = true;
      batch.add(s);
    }
    writing = true;
    changed.signalAll(); // room in the queue
    Throwable failure = null;
    lock.unlock();
    try {
      writer.write(batch);
    } catch (Exception | Error e) {
      failure = e;
    } finally {
      lock.lock();
      writing = false;
      if (failure == null) {
        transactions.incrementAndGet();
        committed.addAndGet(batch.size());
      }
      for (S s : batch) {
        s.failure = failure;
        s.done = true;
      }
      changed.signalAll(); // batch done; the next waiter writes the next batch
    }
    if (failure instanceof Error error) {
      throw error;
    }
  }

  /** Transactions committed (each one fsync), for tests and measurements. */
  public long transactions() {
    return transactions.get();
  }

  /** Slots queued and not yet taken into a batch, for tests. */
  public int queued() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Whether a batch is being written, for tests. */
  public boolean writing() {
    lock.lock();
    try {
      return writing;
    } finally {
      lock.unlock();
    }
  }

  /** Whether {@link #close} has begun, for tests. */
  public boolean closed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  /** Slots committed. */
  public long committed() {
    return committed.get();
  }

  /**
   * Refuses new slots and waits at most {@code wait} for the queued ones to be written by their
   * appenders; those still queued then are refused (never one whose transaction is under way).
   *
   * @return whether nothing is queued or being written any more
   */
  public boolean close(long wait, TimeUnit unit) {
    long deadline = System.nanoTime() + unit.toNanos(wait);
    boolean interrupted = false;
    lock.lock();
    try {
      closed = true;
      changed.signalAll();
      while ((writing || !queue.isEmpty()) && deadline - System.nanoTime() > 0 && !interrupted) {
        try {
          changed.awaitNanos(deadline - System.nanoTime());
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      for (S s; (s = queue.pollFirst()) != null; ) {
        s.failure = new Refused("closed");
        s.done = true;
      }
      changed.signalAll();
      return !writing;
    } finally {
      lock.unlock();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
