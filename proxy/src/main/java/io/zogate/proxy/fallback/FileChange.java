package io.zogate.proxy.fallback;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * One change the tree watcher observed (or inferred after an event overflow).
 *
 * @param type what happened
 * @param path the absolute, normalised path (a symbolic link is the link itself)
 * @param synthetic true when no event named this change: it was inferred by comparing a scan
 *     with the remembered snapshot (after an OVERFLOW, or while scanning a new directory)
 */
public record FileChange(Type type, Path path, boolean synthetic) {
  public enum Type {
    CREATE,
    MODIFY,
    DELETE,
    /** A directory that could not be watched (unreadable, or the inotify watch limit): changes in it go unseen. */
    UNWATCHABLE;

    /** The governance operation name: {@code file/create}, {@code file/modify}, {@code file/delete}, {@code dir/unwatchable}. */
    public String operation() {
      return this == UNWATCHABLE ? "dir/unwatchable" : "file/" + name().toLowerCase(Locale.ROOT);
    }
  }

  public FileChange {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(path, "path");
    if (!path.isAbsolute()) {
      throw new IllegalArgumentException("a change's path is absolute");
    }
  }
}
