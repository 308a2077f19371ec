package io.zogate.proxy.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class GcraTest {

  private static final long MS = 1_000_000L;
  private static final LimitRate TEN_PER_SECOND = LimitRate.of(10, Duration.ofSeconds(1));

  /** Runs arrivals (ms) through GCRA from no state; returns the admitted arrival times. */
  private static List<Long> admitted(List<Long> arrivalsMillis, LimitRate rate) {
    long tat = Gcra.NO_STATE;
    var out = new ArrayList<Long>();
    for (long t : arrivalsMillis) {
      Decision d = Gcra.decide(tat, t * MS, rate);
      if (d.allowed()) {
        tat = d.tatNanos();
        out.add(t);
      } else {
        assertThat(d.tatNanos()).isEqualTo(tat);
      }
    }
    return out;
  }

  @Test
  void freshKeyAdmitsExactlyCountInABurstThenRefuses() {
    long tat = Gcra.NO_STATE;
    long now = 1_700_000_000_000L * MS;
    for (int i = 0; i < 10; i++) {
      Decision d = Gcra.decide(tat, now, TEN_PER_SECOND);
      assertThat(d.allowed()).as("request %d", i).isTrue();
      tat = d.tatNanos();
    }
    Decision refused = Gcra.decide(tat, now, TEN_PER_SECOND);
    assertThat(refused.allowed()).isFalse();
    assertThat(refused.retryAfterMillis()).isEqualTo(100); // one T
    assertThat(refused.retryAfterSeconds()).isEqualTo(1);

    assertThat(Gcra.decide(tat, now + 99 * MS, TEN_PER_SECOND).allowed()).isFalse();
    assertThat(Gcra.decide(tat, now + 99 * MS, TEN_PER_SECOND).retryAfterMillis()).isEqualTo(1);
    Decision afterT = Gcra.decide(tat, now + 100 * MS, TEN_PER_SECOND);
    assertThat(afterT.allowed()).isTrue();
    assertThat(Gcra.decide(afterT.tatNanos(), now + 100 * MS, TEN_PER_SECOND).allowed()).isFalse();
  }

  @Test
  void burstIsExactEvenWhenTheIntervalDoesNotDivideThePeriod() {
    LimitRate threePerSecond = LimitRate.of(3, Duration.ofSeconds(1)); // T = 333,333,334 ns
    assertThat(admitted(List.of(0L, 0L, 0L, 0L, 0L), threePerSecond)).hasSize(3);
    // long run: never more than count/period
    var arrivals = new ArrayList<Long>();
    for (long t = 0; t < 100_000; t++) {
      arrivals.add(t);
    }
    assertThat(admitted(arrivals, threePerSecond)).hasSizeLessThanOrEqualTo(3 + 100 * 3);
  }

  @Test
  void retryAfterIsRoundedUpToWholeSeconds() {
    LimitRate onePerMinute = LimitRate.of(1, Duration.ofMinutes(1));
    Decision first = Gcra.decide(Gcra.NO_STATE, 0, onePerMinute);
    Decision second = Gcra.decide(first.tatNanos(), 1_500 * MS, onePerMinute);
    assertThat(second.allowed()).isFalse();
    assertThat(second.retryAfterMillis()).isEqualTo(58_500);
    assertThat(second.retryAfterSeconds()).isEqualTo(59);
  }

  @Test
  void noDoubleBurstAcrossAWindowBoundary() {
    // The fixed-window attack: a full burst just before a boundary, another just after.
    var arrivals = new ArrayList<Long>();
    for (long t : new long[] {999, 1000, 1001}) {
      for (int i = 0; i < 20; i++) {
        arrivals.add(t);
      }
    }
    assertThat(admitted(arrivals, TEN_PER_SECOND)).hasSize(10); // 2 ms elapsed < T
  }

  @Test
  void hammeringEveryMillisecondNeverExceedsCountPlusElapsedOverT() {
    var arrivals = new ArrayList<Long>();
    for (long t = 0; t <= 3_000; t++) {
      arrivals.add(t);
    }
    List<Long> got = admitted(arrivals, TEN_PER_SECOND);
    assertThat(got).hasSize(10 + 3_000 / 100); // exact, not just a bound
    assertWindowBound(got, TEN_PER_SECOND);
  }

  @Property(tries = 200)
  void anyIntervalAdmitsAtMostCountPlusElapsedOverT(
      @ForAll @Size(min = 1, max = 150) List<@IntRange(min = 0, max = 5_000) Integer> times,
      @ForAll @IntRange(min = 1, max = 20) int count,
      @ForAll @IntRange(min = 1, max = 3_000) int periodMillis) {
    List<Long> arrivals = times.stream().sorted().map(Integer::longValue).toList();
    LimitRate rate = LimitRate.of(count, Duration.ofMillis(periodMillis));
    assertWindowBound(admitted(arrivals, rate), rate);
  }

  private static void assertWindowBound(List<Long> admittedMillis, LimitRate rate) {
    long t = rate.emissionIntervalNanos();
    for (int i = 0; i < admittedMillis.size(); i++) {
      for (int j = i; j < admittedMillis.size(); j++) {
        long w = (admittedMillis.get(j) - admittedMillis.get(i)) * MS;
        assertThat((long) (j - i + 1))
            .as("admitted in [%d ms, %d ms]", admittedMillis.get(i), admittedMillis.get(j))
            .isLessThanOrEqualTo(rate.count() + w / t);
      }
    }
  }

  @Test
  void expiredStateIsTheSameAsNoState() {
    long now = 5_000 * MS;
    for (long stored : new long[] {now, now - 1, 0}) {
      assertThat(Gcra.decide(stored, now, TEN_PER_SECOND))
          .isEqualTo(Gcra.decide(Gcra.NO_STATE, now, TEN_PER_SECOND));
      assertThat(Gcra.expired(stored, now)).isTrue();
    }
    assertThat(Gcra.expired(now + 1, now)).isFalse();
  }

  @Test
  void rateParsingAndValidation() {
    LimitRate r = LimitRate.parse("600/60s");
    assertThat(r).isEqualTo(LimitRate.of(600, Duration.ofSeconds(60)));
    assertThat(r.emissionIntervalNanos()).isEqualTo(100 * MS);
    assertThat(r.burstToleranceNanos()).isEqualTo(59_900 * MS);
    for (String bad : new String[] {"0/1s", "1/0s", "10", "1/1y", "-1/1s", "5/1", " /1s"}) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> LimitRate.parse(bad))
          .as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
