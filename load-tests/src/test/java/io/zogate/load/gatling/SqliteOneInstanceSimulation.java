package io.zogate.load.gatling;

/**
 * SQLite store, one zo-gate process: the same load and limit as {@link
 * MemoryOneInstanceSimulation}, so the two rows compare the stores at one instance, and this row
 * against {@link SqliteThreeInstancesSimulation} shows what sharing the file across three costs.
 */
public class SqliteOneInstanceSimulation extends RateLimitSimulation {
  public SqliteOneInstanceSimulation() {
    super(new Spec("sqlite, 1 instance", 2, "sqlite", 1, 20, 1_000,
        doubleProp("load.rate", 300), intProp("load.seconds", 6),
        roundRobin(intProp("load.actors", 2)), Expect.ONE_BUDGET));
  }
}
