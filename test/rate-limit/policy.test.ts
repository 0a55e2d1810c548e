import { describe, expect, it } from 'vitest';
import { emptyState, refill, takeLease } from '../../worker/rate-limit/bucket';
import { limitField, policyField } from '../../worker/rate-limit/headers';
import { addressKey, partitionKey } from '../../worker/rate-limit/partition';
import { classify, policiesFrom } from '../../worker/rate-limit/policy';

describe('classes', () => {
  it('classifies routes', () => {
    expect(classify('GET', '/api/v1/intro-page/alice', '/api/v1')).toBe('read');
    expect(classify('HEAD', '/api/v1/tasks', '/api/v1')).toBe('read');
    expect(classify('POST', '/api/v1/tasks', '/api/v1')).toBe('write');
    expect(classify('DELETE', '/api/v1/tasks/1', '/api/v1')).toBe('write');
    expect(classify('POST', '/api/v1/admin/cache/purge', '/api/v1')).toBe('admin');
    expect(classify('GET', '/api/v1/admin/cache', '/api/v1')).toBe('read');
    expect(classify('POST', '/api/v1/users', '/api/v1')).toBe('admin');
    expect(classify('PATCH', '/api/v1/users/alice/preferences', '/api/v1')).toBe('write');
    expect(classify('GET', '/api/v1/feed', '/api/v1')).toBe('feed');
    expect(classify('GET', '/api/v1/health', '/api/v1')).toBe('health');
  });

  it('derives every class from the two variables', () => {
    const p = policiesFrom({ RATE_LIMIT_REQUESTS: '300', RATE_LIMIT_WINDOW_SECONDS: '60' });
    expect([p.read.quota, p.write.quota, p.admin.quota, p.feed.quota, p.health.quota]).toEqual([300, 75, 75, 60, 3000]);
    expect(p.admin.onLimiterFailure).toBe('closed');
    expect(p.read.onLimiterFailure).toBe('open');
    expect(p.health.keyBy).toBe('ip');
  });

  it('refuses a bad configuration with a message that says where to fix it', () => {
    expect(() => policiesFrom({ RATE_LIMIT_REQUESTS: 'lots', RATE_LIMIT_WINDOW_SECONDS: '60' })).toThrow(
      /RATE_LIMIT_REQUESTS.*\.dev\.vars/,
    );
    expect(() => policiesFrom({ RATE_LIMIT_REQUESTS: '10', RATE_LIMIT_WINDOW_SECONDS: '0' })).toThrow(/RATE_LIMIT_WINDOW_SECONDS/);
  });
});

describe('partition keys', () => {
  it('prefers the verified user, else CF-Connecting-IP', () => {
    expect(partitionKey({ userId: 'alice', role: 'user' }, '203.0.113.7')).toBe('user:alice');
    expect(partitionKey(undefined, '203.0.113.7')).toBe('ip:203.0.113.7');
    expect(partitionKey(undefined, undefined)).toBe('ip:unknown');
    expect(partitionKey(undefined, 'not an address')).toBe('ip:unknown');
  });

  it('groups IPv6 by /64 and unwraps IPv4-mapped addresses', () => {
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('ip6:2001:db8:1:2::/64');
    expect(addressKey('2001:0DB8:0001:0002::9')).toBe('ip6:2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('ip6:2001:db8:0:0::/64');
    expect(addressKey('::ffff:192.0.2.1')).toBe('ip:192.0.2.1');
    expect(addressKey('1:2:3')).toBe('ip:unknown');
  });
});

describe('bucket and fields', () => {
  const policy = { quota: 20, windowSeconds: 60 };

  it('grants up to the burst, then tells when the next token comes', () => {
    const { state, grant } = takeLease(emptyState(policy, 0), policy, 0, 20, 0);
    expect(grant).toMatchObject({ granted: 20, remaining: 0 });
    const denied = takeLease(state, policy, 1000, 1, 0);
    expect(denied.grant.granted).toBe(0);
    expect(denied.grant.retryAfterMs).toBe(2000);
    expect(refill(state, policy, 3000).tokens).toBeCloseTo(1);
  });

  it('does not refill past the capacity while leased tokens are outstanding', () => {
    const leased = takeLease(emptyState(policy, 0), policy, 0, 10, 10_000).state;
    expect(refill(leased, policy, 5_000).tokens).toBe(10); // 10 left + 1.67 refilled, but 10 are out on lease
    // The lease lapsed at 10 s: refill resumes from there, nothing is credited for the time it held room.
    expect(refill(leased, policy, 13_000).tokens).toBeCloseTo(11, 6);
  });

  it('formats the IETF draft fields', () => {
    const p = policiesFrom({ RATE_LIMIT_REQUESTS: '20', RATE_LIMIT_WINDOW_SECONDS: '60' });
    expect(policyField(p.read)).toBe('"read";q=20;w=60');
    expect(limitField(p.read, { remaining: 19, resetSeconds: 3 })).toBe('"read";r=19;t=3');
  });
});

describe('test suite configuration', () => {
  it('runs the rest of the suite with a limit no test reaches (rate-limit tests set their own)', async () => {
    const { env } = await import('cloudflare:workers');
    expect(Number(env.RATE_LIMIT_REQUESTS)).toBeGreaterThanOrEqual(1_000_000);
  });
});
