package io.zogate.proxy.traffic;

import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import io.zogate.proxy.redis.RedisConnection;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * GCRA state in Redis, shared by every zo-gate instance on every host.
 *
 * <p>The decision is {@link Gcra#decide}, step for step, run inside Redis as one Lua script, so
 * read, decide and write are one atomic step across all hosts: two instances can never both
 * read the same TAT and both spend the same budget. {@link #acquireAll} passes every key to
 * the same script call, which writes the new TATs only if every limit allows (all or nothing).
 * The script is loaded once ({@code SCRIPT LOAD}) and called by its SHA-1 ({@code EVALSHA});
 * if Redis answers {@code NOSCRIPT} (restarted, {@code SCRIPT FLUSH}, failed over) it is loaded
 * again and the call repeated once.
 *
 * <p>One clock: "now" is Redis's own {@code TIME}, read inside the script, and the callers'
 * {@code nowMillis} is ignored. Each TAT is a point on one timeline, so it must be compared
 * with the clock that wrote it. If each host passed its own clock, a host running ahead would
 * see every TAT as already past and hand out a fresh burst, and one running behind would push
 * TATs into the future for everyone; a client that can reach several hosts would simply pick
 * the one whose clock suits it. With Redis's clock, skew between hosts changes nothing. Redis
 * also expires each key (by the same clock) once its TAT is past, when it carries no
 * information, so memory holds only live keys.
 *
 * <p>Arithmetic: Lua in Redis has only doubles, exact up to 2^53, and nanoseconds since the
 * epoch are about 2^60. The script therefore keeps every instant as whole seconds plus
 * nanoseconds (each well inside 2^53) and carries between them, so the result is exactly
 * {@link Gcra}'s to the nanosecond (checked against it by the tests). A TAT is stored as
 * {@code "<seconds>:<nanoseconds>"} under {@code zo:rl:<key>}.
 *
 * <p>Every failure, including an {@code OOM} from a full Redis (policy {@code noeviction},
 * checked at open), is {@link StoreUnavailableException}: the limiter fails closed.
 */
public final class RedisRateLimitStore implements RateLimitStore {
  static final String KEY_PREFIX = "zo:rl:";
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  /**
   * KEYS: the limits' keys. ARGV per key: T seconds, T nanoseconds, tau seconds, tau
   * nanoseconds. Returns per key: allowed (1/0), TAT seconds, TAT nanoseconds (-1 -1 for no
   * state), retry-after milliseconds (0 when allowed).
   */
  static final String SCRIPT = """
      local t = redis.call('TIME')
      local nowS = tonumber(t[1])
      local nowN = tonumber(t[2]) * 1000
      local E = 1000000000
      local n = #KEYS
      local out = {}
      local all = true
      for i = 1, n do
        local a = (i - 1) * 4
        local TS, TN = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
        local uS, uN = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
        local stored = redis.call('GET', KEYS[i])
        local sS, sN = -1, -1
        local tS, tN = nowS, nowN
        if stored then
          local p = string.find(stored, ':', 1, true)
          if not p then return redis.error_reply('ERR zo-gate: bad rate-limit state at ' .. KEYS[i]) end
          sS = tonumber(string.sub(stored, 1, p - 1))
          sN = tonumber(string.sub(stored, p + 1))
          if sS > nowS or (sS == nowS and sN > nowN) then tS, tN = sS, sN end
        end
        local aS, aN = tS - nowS, tN - nowN
        if aN < 0 then aS, aN = aS - 1, aN + E end
        local o = (i - 1) * 4
        if aS < uS or (aS == uS and aN <= uN) then
          local xS, xN = tS + TS, tN + TN
          if xN >= E then xS, xN = xS + 1, xN - E end
          out[o + 1], out[o + 2], out[o + 3], out[o + 4] = 1, xS, xN, 0
        else
          all = false
          local wS, wN = aS - uS, aN - uN
          if wN < 0 then wS, wN = wS - 1, wN + E end
          local ms = wS * 1000 + math.floor(wN / 1000000)
          if wN % 1000000 ~= 0 then ms = ms + 1 end
          if ms < 1 then ms = 1 end
          out[o + 1], out[o + 2], out[o + 3], out[o + 4] = 0, sS, sN, ms
        end
      end
      if all then
        for i = 1, n do
          local o = (i - 1) * 4
          local xS, xN = out[o + 2], out[o + 3]
          local dS, dN = xS - nowS, xN - nowN
          if dN < 0 then dS, dN = dS - 1, dN + E end
          local ttl = dS * 1000 + math.floor(dN / 1000000) + 1
          redis.call('SET', KEYS[i], string.format('%d:%09d', xS, xN), 'PX', ttl)
        end
      end
      return out
      """;

  private final RedisConnection redis;
  private volatile String sha;

  /**
   * Connects, checks the eviction policy and loads the script.
   *
   * @throws StoreUnavailableException if Redis is unreachable or may evict keys
   */
  public RedisRateLimitStore(RedisConnection.Endpoint endpoint) throws StoreUnavailableException {
    this.redis = new RedisConnection("redis rate-limit store", endpoint);
    try {
      this.sha = redis.call(c -> c.scriptLoad(SCRIPT));
    } catch (StoreUnavailableException e) {
      redis.close();
      throw e;
    }
  }

  /** {@code nowMillis} is ignored: the decision is made on Redis's clock (see the class). */
  @Override
  public List<Decision> acquireAll(List<Limit> limits, long nowMillis)
      throws StoreUnavailableException {
    MemoryRateLimitStore.requireDistinct(limits);
    List<String> keys = new ArrayList<>(limits.size());
    List<String> args = new ArrayList<>(limits.size() * 4);
    for (Limit l : limits) {
      keys.add(KEY_PREFIX + l.key());
      long t = l.rate().emissionIntervalNanos();
      long tau = l.rate().burstToleranceNanos();
      args.add(Long.toString(t / NANOS_PER_SECOND));
      args.add(Long.toString(t % NANOS_PER_SECOND));
      args.add(Long.toString(tau / NANOS_PER_SECOND));
      args.add(Long.toString(tau % NANOS_PER_SECOND));
    }
    Object reply = redis.call(c -> evaluate(c, keys, args));
    try {
      List<?> flat = (List<?>) reply;
      if (flat.size() != limits.size() * 4) {
        throw new StoreUnavailableException(redis.name() + ": script returned " + flat.size() + " values");
      }
      List<Decision> out = new ArrayList<>(limits.size());
      for (int i = 0; i < limits.size(); i++) {
        boolean allowed = ((Long) flat.get(4 * i)) == 1L;
        long seconds = (Long) flat.get(4 * i + 1);
        long nanos = (Long) flat.get(4 * i + 2);
        long retry = (Long) flat.get(4 * i + 3);
        long tat = seconds < 0 ? Gcra.NO_STATE
            : Math.addExact(Math.multiplyExact(seconds, NANOS_PER_SECOND), nanos);
        out.add(new Decision(allowed, tat, retry));
      }
      return List.copyOf(out);
    } catch (ClassCastException | ArithmeticException | IllegalArgumentException e) {
      throw new StoreUnavailableException(redis.name() + ": unexpected script reply: " + e, e);
    }
  }

  private Object evaluate(RedisClient c, List<String> keys, List<String> args) {
    try {
      return c.evalsha(sha, keys, args);
    } catch (JedisNoScriptException e) {
      // Redis lost its script cache (restart, SCRIPT FLUSH, failover): load it again, once.
      sha = c.scriptLoad(SCRIPT);
      return c.evalsha(sha, keys, args);
    }
  }

  @Override
  public void close() {
    redis.close();
  }
}
