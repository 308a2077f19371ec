package io.zogate.proxy.governance;

/** Decides about actions. Implementations are thread-safe and never throw for any action. */
public interface Governor {
  Decision decide(Action action);
}
