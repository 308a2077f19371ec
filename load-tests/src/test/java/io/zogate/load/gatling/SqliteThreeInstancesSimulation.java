package io.zogate.load.gatling;

/**
 * SQLite store, three zo-gate processes on one file, the load spread round-robin across them:
 * the sum of admissions per actor over all three is held to ONE budget. The number that shows
 * why this mode exists (compare {@link MemoryThreeInstancesSimulation}).
 *
 * <p>{@code -Dload.sqlite.store=memory} runs the same simulation, with the same one-budget
 * assertion, on three memory stores: a deliberate leak, to see the after-hook fail the build.
 */
public class SqliteThreeInstancesSimulation extends RateLimitSimulation {
  public SqliteThreeInstancesSimulation() {
    super(new Spec("sqlite, 3 instances, one file", 3, prop("load.sqlite.store", "sqlite"), 3, 20, 1_000,
        doubleProp("load.rate", 300), intProp("load.seconds", 6),
        roundRobin(intProp("load.actors", 2)), Expect.ONE_BUDGET));
  }
}
