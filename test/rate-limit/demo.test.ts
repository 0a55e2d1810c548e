import { env } from 'cloudflare:workers';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { allowances } from '../../worker/rate-limit/allowance';
import { authHeaders } from '../helpers/auth';
import { callWith, parseLimit } from '../helpers/limited';
import { seed } from '../helpers/seed';

// The acceptance check: RATE_LIMIT_REQUESTS=20, RATE_LIMIT_WINDOW_SECONDS=60.
const DEMO = { RATE_LIMIT_REQUESTS: '20', RATE_LIMIT_WINDOW_SECONDS: '60' };

vi.setConfig({ testTimeout: 30_000 });

beforeAll(async () => {
  await seed(env.DB);
});
beforeEach(() => allowances.clear());

describe('20 requests per 60 s', () => {
  it("refuses a user's 21st quick intro-page request with 429 and Retry-After while another user is served", async () => {
    const alice = await authHeaders('alice');
    for (let i = 1; i <= 20; i++) {
      const res = await callWith(DEMO, '/api/v1/intro-page/alice', { headers: alice });
      expect(res.status, `request ${i}`).toBe(200);
      expect(res.headers.get('RateLimit-Policy')).toBe('"read";q=20;w=60');
      expect(parseLimit(res.headers.get('RateLimit'))?.params.r).toBe(20 - i);
      await res.arrayBuffer();
    }
    const refused = await callWith(DEMO, '/api/v1/intro-page/alice', { headers: alice });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('Content-Type')).toBe('application/problem+json');
    const retryAfter = Number(refused.headers.get('Retry-After'));
    // One token comes back every 60/20 = 3 s.
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3);
    expect(refused.headers.get('RateLimit')).toBe(`"read";r=0;t=${retryAfter}`);
    expect(refused.headers.get('RateLimit-Policy')).toBe('"read";q=20;w=60');
    expect(refused.headers.get('X-Request-Id')).toBeTruthy();
    const problem = await refused.json<Record<string, unknown>>();
    expect(problem).toMatchObject({ status: 429, title: 'Too many requests', retryAfter, 'violated-policies': ['read'] });
    expect(problem.instance).toBe(refused.headers.get('X-Request-Id'));

    const bob = await callWith(DEMO, '/api/v1/intro-page/bob', { headers: await authHeaders('bob') });
    expect(bob.status).toBe(200);
    expect(parseLimit(bob.headers.get('RateLimit'))?.params.r).toBe(19);
  });
});
