package io.zogate.proxy.fallback;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import io.zogate.proxy.governance.LedgerUnavailableException;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A recursive directory watcher on {@link WatchService} (CONTRACT.md section 7).
 *
 * <ul>
 *   <li>Every directory under the root is registered at {@link #start}, and every directory
 *       created later when its CREATE event arrives: registered first, then scanned, so that
 *       whatever was created in it before the registration took effect is found by the scan
 *       and whatever after it raises an event; the snapshot keeps the two from counting twice.
 *   <li>Symbolic links are never followed: walks use no {@code FOLLOW_LINKS}, attributes are
 *       read with {@link LinkOption#NOFOLLOW_LINKS}, and only real directories are registered
 *       (re-checked after registering, against a swap to a link in between). A link is reported
 *       as the link itself.
 *   <li>A snapshot (path to kind, size, mtime) is kept of everything under the root. On
 *       OVERFLOW (the kernel's or the JDK's event queue was full and events were lost) the whole
 *       tree is rescanned and compared with it, and the lost creates, modifies and deletes are
 *       reported as synthetic changes.
 * </ul>
 *
 * The existing content at start-up is the baseline and is not reported. Not thread-safe: one
 * thread runs {@link #start} and then {@link #run}; {@link #close} may be called from any thread
 * and ends {@link #run}.
 */
public final class TreeWatcher implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(TreeWatcher.class.getName());

  /** Receives each change, in the order observed. An exception ends {@link #run}. */
  @FunctionalInterface
  public interface Listener {
    void changed(FileChange change) throws LedgerUnavailableException;
  }

  /** What the snapshot remembers of one path. */
  record Meta(Kind kind, long size, long mtimeNanos) {
    enum Kind { DIRECTORY, FILE, LINK, OTHER, VANISHED }

    static final Meta VANISHED = new Meta(Kind.VANISHED, -1, -1);

    static Meta of(BasicFileAttributes a) {
      Kind k = a.isSymbolicLink() ? Kind.LINK : a.isDirectory() ? Kind.DIRECTORY : a.isRegularFile() ? Kind.FILE : Kind.OTHER;
      long mtime = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
      return new Meta(k, k == Kind.DIRECTORY ? 0 : a.size(), mtime);
    }

    boolean directory() {
      return kind == Kind.DIRECTORY;
    }
  }

  private final Path root;
  private final Listener listener;
  private final WatchService watchService;
  private final Map<WatchKey, Path> keys = new HashMap<>();
  private final Map<Path, Meta> snapshot = new HashMap<>();
  private final AtomicLong overflows = new AtomicLong();
  private final AtomicLong changes = new AtomicLong();
  private volatile boolean closed;

  /** @param root an absolute, real directory path ({@link WatchSettings#root}) */
  public TreeWatcher(Path root, Listener listener) throws IOException {
    this.root = Objects.requireNonNull(root, "root");
    this.listener = Objects.requireNonNull(listener, "listener");
    if (!root.isAbsolute()) {
      throw new IllegalArgumentException("root must be absolute");
    }
    this.watchService = root.getFileSystem().newWatchService();
  }

  /** How many OVERFLOW events were recovered from by a rescan. */
  public long overflows() {
    return overflows.get();
  }

  /** How many changes were reported. */
  public long changes() {
    return changes.get();
  }

  /**
   * Registers the whole tree and takes the baseline snapshot. Directories that cannot be
   * watched are reported as {@link FileChange.Type#UNWATCHABLE}.
   *
   * @throws IOException the root itself cannot be watched
   */
  public void start() throws IOException, LedgerUnavailableException {
    register(root);
    List<FileChange> problems = new ArrayList<>();
    Map<Path, Meta> found = walk(root, problems);
    snapshot.putAll(found);
    emitAll(problems);
  }

  /**
   * Processes events until {@link #close}. Returns normally when closed.
   *
   * @throws IOException the root vanished or stopped being watchable
   * @throws LedgerUnavailableException the listener could not record a change
   */
  public void run() throws IOException, LedgerUnavailableException {
    while (!closed) {
      if (!poll(Duration.ofSeconds(1))) {
        return;
      }
    }
  }

  /**
   * Waits up to {@code timeout} for events and processes all that are pending.
   *
   * @return false once the watcher is closed
   */
  boolean poll(Duration timeout) throws IOException, LedgerUnavailableException {
    WatchKey key;
    try {
      key = watchService.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ClosedWatchServiceException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    while (key != null) {
      process(key);
      try {
        key = watchService.poll();
      } catch (ClosedWatchServiceException e) {
        return false;
      }
    }
    return !closed;
  }

  private void process(WatchKey key) throws IOException, LedgerUnavailableException {
    Path dir = keys.get(key);
    boolean overflow = false;
    for (WatchEvent<?> event : key.pollEvents()) {
      if (event.kind() == OVERFLOW) {
        overflow = true;
        continue;
      }
      if (dir == null) {
        continue;
      }
      Path child = dir.resolve((Path) event.context());
      if (event.kind() == ENTRY_CREATE) {
        created(child);
      } else if (event.kind() == ENTRY_MODIFY) {
        modified(child);
      } else if (event.kind() == ENTRY_DELETE) {
        deleted(child);
      }
    }
    if (!key.reset()) {
      keys.remove(key);
      if (root.equals(dir)) {
        throw new IOException("watch.root " + root + " vanished or can no longer be watched");
      }
    }
    if (overflow) {
      rescan();
    }
  }

  private void created(Path child) throws LedgerUnavailableException {
    Meta m = stat(child);
    if (!snapshot.containsKey(child)) {
      // Gone already: still reported (a file that lived for a moment is a change), and the
      // placeholder lets the DELETE event that follows be reported too.
      snapshot.put(child, m == null ? Meta.VANISHED : m);
      emit(new FileChange(FileChange.Type.CREATE, child, false));
    } else if (m != null) {
      snapshot.put(child, m);
    }
    if (m != null && m.directory()) {
      registerAndScan(child);
    }
  }

  private void modified(Path child) throws LedgerUnavailableException {
    Meta m = stat(child);
    if (m == null) {
      return; // its DELETE event follows
    }
    Meta old = snapshot.put(child, m);
    if (old == null || old.kind() == Meta.Kind.VANISHED) {
      emit(new FileChange(FileChange.Type.CREATE, child, true));
      if (m.directory()) {
        registerAndScan(child);
      }
    } else if (!m.directory() || !m.equals(old)) {
      // A file's MODIFY event is a write even when size and mtime did not move (same tick);
      // a directory's only counts when its own attributes changed.
      emit(new FileChange(FileChange.Type.MODIFY, child, false));
    }
  }

  private void deleted(Path child) throws LedgerUnavailableException {
    Meta old = snapshot.remove(child);
    if (old == null) {
      return; // already reported (by a rescan, or as a descendant of a deleted directory)
    }
    if (old.directory()) {
      List<Path> descendants = new ArrayList<>();
      for (Path p : snapshot.keySet()) {
        if (p.startsWith(child)) {
          descendants.add(p);
        }
      }
      descendants.sort(Comparator.reverseOrder());
      for (Path p : descendants) {
        snapshot.remove(p);
        emit(new FileChange(FileChange.Type.DELETE, p, true));
      }
    }
    emit(new FileChange(FileChange.Type.DELETE, child, false));
  }

  /** A directory created after start: register it, then report what is already in it. */
  private void registerAndScan(Path dir) throws LedgerUnavailableException {
    List<FileChange> out = new ArrayList<>();
    if (!tryRegister(dir, out)) {
      emitAll(out);
      return;
    }
    Map<Path, Meta> found = walk(dir, out);
    List<Path> fresh = new ArrayList<>();
    for (Map.Entry<Path, Meta> e : found.entrySet()) {
      if (!e.getKey().equals(dir) && !snapshot.containsKey(e.getKey())) {
        fresh.add(e.getKey());
      }
    }
    fresh.sort(Comparator.naturalOrder());
    for (Path p : fresh) {
      snapshot.put(p, found.get(p));
      out.add(new FileChange(FileChange.Type.CREATE, p, true));
    }
    emitAll(out);
  }

  /** After an OVERFLOW: the whole tree against the snapshot. */
  private void rescan() throws LedgerUnavailableException {
    overflows.incrementAndGet();
    LOG.warning("watch: event overflow under " + root + ": rescanning the tree to recover the lost changes");
    List<FileChange> out = new ArrayList<>();
    Map<Path, Meta> found = walk(root, out);
    List<Path> gone = new ArrayList<>();
    for (Map.Entry<Path, Meta> e : snapshot.entrySet()) {
      Meta now = found.get(e.getKey());
      if (now == null || now.kind() != e.getValue().kind()) {
        gone.add(e.getKey());
      }
    }
    gone.sort(Comparator.reverseOrder());
    for (Path p : gone) {
      out.add(new FileChange(FileChange.Type.DELETE, p, true));
    }
    List<Path> present = new ArrayList<>(found.keySet());
    present.sort(Comparator.naturalOrder());
    for (Path p : present) {
      Meta before = snapshot.get(p);
      Meta now = found.get(p);
      if (p.equals(root)) {
        continue;
      }
      if (before == null || before.kind() != now.kind()) {
        out.add(new FileChange(FileChange.Type.CREATE, p, true));
      } else if (!before.equals(now) && !now.directory()) {
        out.add(new FileChange(FileChange.Type.MODIFY, p, true));
      }
    }
    snapshot.clear();
    snapshot.putAll(found);
    emitAll(out);
  }

  /**
   * Walks a subtree without following links, registering every directory in it, and returns
   * what it found. Problems (unwatchable directories) are added to {@code problems}.
   */
  private Map<Path, Meta> walk(Path start, List<FileChange> problems) {
    Map<Path, Meta> found = new HashMap<>();
    try {
      Files.walkFileTree(start, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          found.put(dir, Meta.of(attrs));
          if (!tryRegister(dir, problems)) {
            return FileVisitResult.SKIP_SUBTREE;
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          found.put(file, Meta.of(attrs));
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          if (!(e instanceof NoSuchFileException)) {
            unwatchable(file, e, problems);
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) {
          if (e != null && !(e instanceof NoSuchFileException)) {
            unwatchable(dir, e, problems);
          }
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      // walkFileTree reports per-entry problems to the visitor; only the start can fail here.
      if (!(e instanceof NoSuchFileException)) {
        unwatchable(start, e, problems);
      }
    }
    return found;
  }

  private boolean tryRegister(Path dir, List<FileChange> problems) {
    try {
      register(dir);
      return true;
    } catch (IOException e) {
      unwatchable(dir, e, problems);
      return false;
    }
  }

  private void register(Path dir) throws IOException {
    WatchKey key = dir.register(watchService, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY);
    // inotify follows a link given as the watched path: if the directory was swapped for a link
    // between our check and the registration, the watch would be on the link's target.
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      key.cancel();
      throw new IOException(dir + " is no longer a directory (replaced by a link?)");
    }
    keys.put(key, dir);
  }

  private void unwatchable(Path p, IOException e, List<FileChange> problems) {
    LOG.log(Level.SEVERE, "watch: cannot watch " + p + ": " + e + "; changes in it go unseen");
    problems.add(new FileChange(FileChange.Type.UNWATCHABLE, p, true));
  }

  private static Meta stat(Path p) {
    try {
      return Meta.of(Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
    } catch (IOException e) {
      return null;
    }
  }

  private void emitAll(List<FileChange> out) throws LedgerUnavailableException {
    for (FileChange c : out) {
      emit(c);
    }
  }

  private void emit(FileChange c) throws LedgerUnavailableException {
    changes.incrementAndGet();
    listener.changed(c);
  }

  @Override
  public void close() {
    closed = true;
    try {
      watchService.close();
    } catch (IOException e) {
      LOG.fine("watch: closing the watch service: " + e);
    }
  }
}
