package io.zogate.proxy.auth;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable set of actor keys with unique kids. A changed keyring file produces a new
 * instance that is swapped in whole (see {@link ReloadingKeyring}); a request sees one keyring
 * from start to end.
 */
public final class Keyring {
  private final List<ActorKey> keys;
  private final Map<String, ActorKey> byKid;

  private Keyring(List<ActorKey> keys) {
    this.keys = List.copyOf(keys);
    Map<String, ActorKey> index = new HashMap<>();
    for (ActorKey key : this.keys) {
      if (index.putIfAbsent(key.kid(), key) != null) {
        throw new IllegalArgumentException("duplicate kid " + key.kid());
      }
    }
    this.byKid = Map.copyOf(index);
  }

  public static Keyring of(List<ActorKey> keys) {
    return new Keyring(keys);
  }

  public static Keyring empty() {
    return new Keyring(List.of());
  }

  /** The keys in file order. */
  public List<ActorKey> keys() {
    return keys;
  }

  public Optional<ActorKey> find(String kid) {
    return Optional.ofNullable(byKid.get(kid));
  }

  /** A keyring with {@code key} added; its kid must be new. */
  public Keyring with(ActorKey key) {
    List<ActorKey> copy = new ArrayList<>(keys);
    copy.add(key);
    return new Keyring(copy);
  }

  /** A keyring with the key of the same kid replaced by {@code key}; the kid must exist. */
  public Keyring replacing(ActorKey key) {
    if (!byKid.containsKey(key.kid())) {
      throw new IllegalArgumentException("no key with kid " + key.kid());
    }
    List<ActorKey> copy = new ArrayList<>(keys.size());
    for (ActorKey k : keys) {
      copy.add(k.kid().equals(key.kid()) ? key : k);
    }
    return new Keyring(copy);
  }

  @Override
  public String toString() {
    return "Keyring" + keys;
  }
}
