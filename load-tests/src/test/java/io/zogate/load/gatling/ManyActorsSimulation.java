package io.zogate.load.gatling;

import java.util.Locale;

/**
 * Many actors at once on one process (memory store, {@code perActor 5/10s}): one hot actor takes
 * a quarter of the requests and is held to its budget, while {@code load.many.actors} other
 * actors (1,200 in the quick profile) share the rest, each sending no more than its burst, so
 * every one of their requests must be admitted: the hot actor's refusals never spill over. The
 * summary records each process's RSS before and after, to show that state for thousands of
 * actors stays bounded.
 */
public class ManyActorsSimulation extends RateLimitSimulation {
  public ManyActorsSimulation() {
    super(new Spec("many actors, memory, 1 instance", 5, "memory", 1, 5, 10_000,
        doubleProp("load.many.rate", 300), intProp("load.seconds", 6),
        hotAndCold(intProp("load.many.actors", 1_200)), Expect.ONE_BUDGET));
  }

  /** Every 4th request for the hot actor; the others cycle through {@code cold} actors. */
  static Schedule hotAndCold(int cold) {
    String hot = ACTOR_PREFIX + "hot";
    return new Schedule() {
      @Override
      public String actorFor(long seq) {
        if (seq % 4 == 0) {
          return hot;
        }
        long coldSlot = seq - seq / 4 - 1; // 0, 1, 2 for seq 1, 2, 3; 3, 4, 5 for 5, 6, 7 ...
        return String.format(Locale.ROOT, "%sactor-%06d", ACTOR_PREFIX, coldSlot % cold);
      }

      @Override
      public int stride() {
        return 1;
      }

      @Override
      public String describe() {
        return "1 hot actor (1/4 of requests) + " + cold + " actors round-robin";
      }
    };
  }
}
