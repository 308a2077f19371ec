package io.zogate.proxy.fallback;

import io.zogate.proxy.auth.ActorHeaders;
import io.zogate.proxy.config.ConfigException;
import io.zogate.proxy.config.ProxyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The watcher's validated settings (CONTRACT.md section 7, {@code watch:}).
 *
 * <p>The root is resolved once, at start-up, to its real path ({@link Path#toRealPath}): the
 * root itself may be reached through a symbolic link, nothing under it ever is. Every path the
 * watcher reports starts with this real root. Privileged prefixes are normalised lexically,
 * must lie inside the configured root (equal to it is allowed: then everything fails closed),
 * and are rebased onto the real root.
 *
 * @param root the real path of the watched directory
 * @param actor the actor the audit entries are tied to
 * @param privileged prefixes under which every change is an AUDIT_FAIL
 */
public record WatchSettings(Path root, String actor, List<Path> privileged) {
  public WatchSettings {
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(actor, "actor");
    privileged = List.copyOf(privileged);
  }

  /**
   * Checks the {@code watch:} section.
   *
   * @throws ConfigException the root is not an existing directory, the actor id is not one the
   *     contract allows, or a privileged prefix is not inside the root
   */
  public static WatchSettings from(ProxyConfig.Watch w) throws ConfigException {
    if (!ActorHeaders.isValidActorId(w.actor())) {
      throw new ConfigException("watch.actor: '" + w.actor() + "' is not a valid actor id (CONTRACT.md section 1)");
    }
    Path configured = w.root().toAbsolutePath().normalize();
    Path real;
    try {
      real = configured.toRealPath();
    } catch (IOException e) {
      throw new ConfigException("watch.root: " + configured + " does not exist or cannot be read");
    }
    if (!Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
      throw new ConfigException("watch.root: " + configured + " is not a directory");
    }
    List<Path> privileged = new ArrayList<>();
    for (Path p : w.privileged()) {
      Path abs = p.toAbsolutePath().normalize();
      Path rebased;
      if (abs.startsWith(configured)) {
        rebased = real.resolve(configured.relativize(abs)).normalize();
      } else if (abs.startsWith(real)) {
        rebased = abs;
      } else {
        throw new ConfigException("watch.privileged: " + p + " is not inside watch.root " + configured);
      }
      privileged.add(rebased);
    }
    return new WatchSettings(real, w.actor(), privileged);
  }

  /** Whether a path lies under a privileged prefix (whole path components, so {@code .sshx} is not under {@code .ssh}). */
  public boolean isPrivileged(Path path) {
    for (Path p : privileged) {
      if (path.startsWith(p)) {
        return true;
      }
    }
    return false;
  }
}
