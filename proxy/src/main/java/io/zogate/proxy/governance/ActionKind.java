package io.zogate.proxy.governance;

/** What an action does to the world, coarse enough for a policy to name. */
public enum ActionKind {
  READ,
  WRITE,
  EXECUTE,
  NETWORK,
  OTHER
}
