package io.zogate.proxy.server;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which actor opened each upstream MCP session. A session id is a bearer capability upstream;
 * binding it to the actor that received it stops another actor from riding on it. Bounded:
 * when full, the oldest bindings are dropped, which only makes those sessions unknown (404,
 * the client re-initialises), never shared.
 */
final class SessionRegistry {
  private final int capacity;
  private final Map<String, Binding> owners = new ConcurrentHashMap<>();
  private final AtomicLong clock = new AtomicLong();

  private record Binding(String actorId, long order) {}

  SessionRegistry(int capacity) {
    this.capacity = capacity;
  }

  Optional<String> owner(String sessionId) {
    Binding b = owners.get(sessionId);
    return b == null ? Optional.empty() : Optional.of(b.actorId());
  }

  /** Binds a session to the actor it was issued to; a session already bound keeps its owner. */
  void bind(String sessionId, String actorId) {
    owners.putIfAbsent(sessionId, new Binding(actorId, clock.incrementAndGet()));
    if (owners.size() > capacity) {
      evictOldest();
    }
  }

  void unbind(String sessionId) {
    owners.remove(sessionId);
  }

  int size() {
    return owners.size();
  }

  private synchronized void evictOldest() {
    int excess = owners.size() - capacity;
    if (excess <= 0) {
      return;
    }
    owners.entrySet().stream()
        .sorted((a, b) -> Long.compare(a.getValue().order(), b.getValue().order()))
        .limit(excess + capacity / 10L)
        .map(Map.Entry::getKey)
        .toList()
        .forEach(owners::remove);
  }
}
