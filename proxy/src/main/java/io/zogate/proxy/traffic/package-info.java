/**
 * Rate limits (CONTRACT.md section 1 step 7 and section 6 {@code rateLimit}).
 *
 * <p>One rule, {@link io.zogate.proxy.traffic.Gcra} (GCRA: one theoretical arrival time per
 * key), two stores behind {@link io.zogate.proxy.traffic.RateLimitStore}: {@link
 * io.zogate.proxy.traffic.MemoryRateLimitStore} for one process, {@link
 * io.zogate.proxy.traffic.SqliteRateLimitStore} for every process on one host. {@link
 * io.zogate.proxy.traffic.RateLimiter} is what the pipeline calls: it picks the keys (client
 * address with X-Forwarded-For trust, key id, actor id), asks the store, and turns the answer
 * into the contract's refusals. Stores fail closed.
 */
package io.zogate.proxy.traffic;
