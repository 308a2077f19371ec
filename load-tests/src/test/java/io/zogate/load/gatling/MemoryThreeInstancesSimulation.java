package io.zogate.load.gatling;

/**
 * The contrast: the same load as {@link SqliteThreeInstancesSimulation} on three processes with
 * {@code store: memory}. Each process keeps its own budget, so together they admit about three
 * budgets per actor. The run asserts exactly that: more than one budget, at most one per
 * instance.
 */
public class MemoryThreeInstancesSimulation extends RateLimitSimulation {
  public MemoryThreeInstancesSimulation() {
    super(new Spec("memory, 3 instances (contrast)", 4, "memory", 3, 20, 1_000,
        doubleProp("load.rate", 300), intProp("load.seconds", 6),
        roundRobin(intProp("load.actors", 2)), Expect.BUDGET_PER_INSTANCE));
  }
}
