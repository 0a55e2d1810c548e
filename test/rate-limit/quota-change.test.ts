import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { emptyState, rescale, takeLease } from '../../worker/rate-limit/bucket';

const OLD = { quota: 300, windowSeconds: 60 };
const NEW = { quota: 10, windowSeconds: 60 };

function limiter(name: string) {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));
}

describe('finding 9: lowering RATE_LIMIT_REQUESTS does not carry old debt', () => {
  it('a principal who used half the old quota keeps half of the new one (the real object)', async () => {
    const stub = limiter(`quota-change-${crypto.randomUUID()}`);
    const bucket = 'user:quota|read';
    const first = await stub.acquire({ bucket, policy: OLD, want: 150, leaseMs: 60_000, reports: [] });
    expect(first.granted).toBe(150);
    const after = await stub.acquire({ bucket, policy: NEW, want: 1, leaseMs: 60_000, reports: [] });
    expect(after.granted).toBe(1);
    expect(after.remaining).toBeLessThanOrEqual(NEW.quota);
  });

  it('one who had used it all waits one new refill interval, never minutes', async () => {
    const stub = limiter(`quota-change-${crypto.randomUUID()}`);
    const bucket = 'user:quota|read';
    const first = await stub.acquire({ bucket, policy: OLD, want: 300, leaseMs: 60_000, reports: [] });
    // The isolate reports its lease spent, as it does with its next request.
    const denied = await stub.acquire({ bucket, policy: NEW, want: 1, leaseMs: 60_000, reports: [{ id: first.leaseId, unspent: 0 }] });
    expect(denied.granted).toBe(0);
    expect(denied.retryAfterMs).toBeLessThanOrEqual((NEW.windowSeconds * 1000) / NEW.quota + 50);
  });

  it('rescale keeps the used share and never exceeds the new quota', () => {
    const now = Date.now();
    const { state } = takeLease(emptyState(OLD, now), OLD, now, 150, 60_000);
    const scaled = rescale(state, OLD, NEW);
    expect(scaled.tokens).toBeCloseTo(5);
    expect(scaled.leases.reduce((sum, l) => sum + l.tokens, 0)).toBe(5);
    const raised = rescale(scaled, NEW, OLD);
    expect(raised.tokens).toBeLessThanOrEqual(OLD.quota);
    expect(rescale(state, OLD, OLD)).toBe(state);
  });
});
