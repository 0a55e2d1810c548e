import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Acquire, Allowances } from '../../worker/rate-limit/allowance';
import { type BucketState, emptyState, takeLease } from '../../worker/rate-limit/bucket';
import type { RatePolicy } from '../../worker/rate-limit/policy';

/**
 * The whole limiter on a simulated clock: several isolates (each its own Allowances, with
 * leases, prefetch and local refusals) against one object's bucket (the same takeLease the
 * RateLimiter runs). Whatever the schedule, no window of `windowSeconds` may hold more than
 * the limit (quota per window) plus the burst allowance (the bucket's capacity, = quota).
 */
describe('token bucket with in-isolate leases (property)', () => {
  const step = fc.record({
    gapMs: fc.oneof(
      fc.constant(0),
      fc.integer({ min: 0, max: 50 }),
      fc.integer({ min: 0, max: 400 }),
      fc.integer({ min: 0, max: 5_000 }),
      fc.integer({ min: 0, max: 120_000 }),
    ),
    isolate: fc.nat({ max: 3 }),
    settle: fc.boolean(),
  });

  it('never allows more than limit + burst in any window, and keeps tokens + unspent leases within capacity', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Quotas over 100 let leases grow past 10 tokens (allowance.ts, nextLeaseSize).
        fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 100, max: 400 })),
        fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 90 })),
        fc.integer({ min: 1, max: 4 }),
        fc.array(step, { minLength: 1, maxLength: 400 }),
        async (quota, windowSeconds, isolates, schedule) => {
          const policy: RatePolicy = { name: 'read', quota, windowSeconds, onLimiterFailure: 'open', keyBy: 'principal' };
          let now = 1_000_000;
          let bucket: BucketState = emptyState(policy, now);
          let overCapacity = 0; // recorded, not thrown: a throw here would look like an object failure
          const acquire: Acquire = async (request) => {
            const { state, grant } = takeLease(bucket, request.policy, now, request.want, request.leaseMs, request.reports);
            bucket = state;
            const leased = state.leases.filter((l) => l.expiresAt > now).reduce((sum, l) => sum + l.tokens, 0);
            overCapacity = Math.max(overCapacity, state.tokens + leased - quota);
            return grant;
          };
          const caches = Array.from({ length: isolates }, () => new Allowances(() => now));
          let background: Promise<unknown>[] = [];
          const allowedAt: number[] = [];

          for (const { gapMs, isolate, settle } of schedule) {
            now += gapMs;
            const cache = caches[isolate % isolates]!;
            const decision = await cache.decide('user:p', policy, acquire, (work) => background.push(work));
            if (decision.allowed) allowedAt.push(now);
            if (settle) {
              await Promise.all(background);
              background = [];
            }
          }
          await Promise.all(background);
          expect(overCapacity, 'tokens + unspent leased tokens above capacity').toBeLessThanOrEqual(1e-6);

          const windowMs = windowSeconds * 1000;
          for (let i = 0, j = 0; i < allowedAt.length; i++) {
            while (j < allowedAt.length && allowedAt[j]! < allowedAt[i]! + windowMs) j++;
            expect(j - i, `requests allowed in the ${windowSeconds}s window from t=${allowedAt[i]}`).toBeLessThanOrEqual(quota + quota);
          }
          // The same bound at every scale (token-bucket conformance): k requests between t_i and
          // t_j need k <= burst + refill over (t_j - t_i). This is what catches small leaks.
          const perMs = quota / windowMs;
          for (let i = 0; i < allowedAt.length; i++) {
            for (let j = i; j < allowedAt.length; j++) {
              const k = j - i + 1;
              if (k > quota + perMs * (allowedAt[j]! - allowedAt[i]!) + 1e-6) {
                expect.fail(`${k} requests allowed between t=${allowedAt[i]} and t=${allowedAt[j]} (quota ${quota}/${windowSeconds}s)`);
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  }, 30_000);

  it('serves a full burst of quota requests from one isolate, then refuses', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 3600 }), async (quota, windowSeconds) => {
        const policy: RatePolicy = { name: 'read', quota, windowSeconds, onLimiterFailure: 'open', keyBy: 'principal' };
        const now = 5_000;
        let bucket = emptyState(policy, now);
        const acquire: Acquire = async (r) => {
          const out = takeLease(bucket, r.policy, now, r.want, r.leaseMs, r.reports);
          bucket = out.state;
          return out.grant;
        };
        const cache = new Allowances(() => now);
        const pending: Promise<unknown>[] = [];
        const results: boolean[] = [];
        for (let i = 0; i <= quota; i++) {
          results.push((await cache.decide('user:p', policy, acquire, (w) => pending.push(w))).allowed);
          await Promise.all(pending);
        }
        expect(results.slice(0, quota).every(Boolean)).toBe(true);
        expect(results[quota]).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});
