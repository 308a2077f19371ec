package io.zogate.load.gatling;

/**
 * Memory store, one zo-gate process: every actor held to one GCRA budget
 * ({@code perActor 20/1s}) while offered several times that.
 */
public class MemoryOneInstanceSimulation extends RateLimitSimulation {
  public MemoryOneInstanceSimulation() {
    super(new Spec("memory, 1 instance", 1, "memory", 1, 20, 1_000,
        doubleProp("load.rate", 300), intProp("load.seconds", 6),
        roundRobin(intProp("load.actors", 2)), Expect.ONE_BUDGET));
  }
}
