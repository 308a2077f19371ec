package io.zogate.load.gatling;

/**
 * Redis store, three zo-gate processes on one {@code redis-server} (started by the simulation
 * on 127.0.0.1, no persistence): the store meant for several hosts, here on one, held to ONE
 * budget per actor like the SQLite file. Not in the quick profile (it needs
 * {@code redis-server}, and the quick profile stays under two minutes); runs with
 * {@code -Pload-full} or on its own with {@code -Dgatling.simulationClass}.
 */
public class RedisThreeInstancesSimulation extends RateLimitSimulation {
  public RedisThreeInstancesSimulation() {
    super(new Spec("redis, 3 instances, one redis-server", 6, "redis", 3, 20, 1_000,
        doubleProp("load.rate", 300), intProp("load.seconds", 6),
        roundRobin(intProp("load.actors", 2)), Expect.ONE_BUDGET));
  }
}
