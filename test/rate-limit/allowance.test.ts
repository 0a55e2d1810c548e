import { describe, expect, it } from 'vitest';
import { type Acquire, Allowances, LEASE_MS, leaseSize, maxLeaseSize, nextLeaseSize } from '../../worker/rate-limit/allowance';
import { emptyState, takeLease } from '../../worker/rate-limit/bucket';
import type { RatePolicy } from '../../worker/rate-limit/policy';

const policy = (quota: number): RatePolicy => ({ name: 'read', quota, windowSeconds: 60, onLimiterFailure: 'open', keyBy: 'principal' });

describe('lease size adapts to how fast this isolate spends', () => {
  it('doubles for a busy principal, up to a tenth of the quota, and halves back for a quiet one', () => {
    const p = policy(300);
    expect(leaseSize(p)).toBe(10);
    expect(maxLeaseSize(p)).toBe(30);
    expect(nextLeaseSize(10, 1_000, p)).toBe(20); // half spent in 1 s: lasts ~2 s
    expect(nextLeaseSize(20, 1_000, p)).toBe(30); // capped
    expect(nextLeaseSize(20, LEASE_MS / 3, p)).toBe(20); // lasts ~40 s: keep
    expect(nextLeaseSize(30, LEASE_MS, p)).toBe(15); // lasts ~120 s: halve
    expect(nextLeaseSize(15, LEASE_MS, p)).toBe(10); // never below the first lease
  });

  it('never grows for small quotas', () => {
    expect(maxLeaseSize(policy(20))).toBe(leaseSize(policy(20)));
    expect(nextLeaseSize(2, 10, policy(20))).toBe(2);
  });

  it('asks the object less often for a busy principal, and never lets it past the quota', async () => {
    const p = policy(300);
    let now = 1_000_000;
    let bucket = emptyState(p, now);
    const wants: number[] = [];
    const acquire: Acquire = async (request) => {
      wants.push(request.want);
      const { state, grant } = takeLease(bucket, request.policy, now, request.want, request.leaseMs, request.reports);
      bucket = state;
      return grant;
    };
    const allowances = new Allowances(() => now);
    let allowed = 0;
    for (let i = 0; i < 200; i++) {
      now += 100; // ten requests a second
      const background: Promise<unknown>[] = [];
      if ((await allowances.decide('user:busy', p, acquire, (w) => background.push(w))).allowed) allowed++;
      await Promise.all(background);
    }
    expect(allowed).toBe(200); // 200 in 20 s is well under 300 a minute
    expect(wants.slice(0, 3)).toEqual([10, 20, 30]);
    // Fixed leases of 10 would have taken about 20 calls.
    expect(wants.length).toBeLessThanOrEqual(9);
  });
});
