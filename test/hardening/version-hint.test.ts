import { env } from 'cloudflare:workers';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fragmentCache } from '../../worker/cache/fragment-cache';
import { forgetVersionCeilings } from '../../worker/cache/version-ceiling';
import { authHeaders } from '../helpers/auth';
import { switchableD1 } from '../helpers/d1-outage';
import { call, json, lastD1Trace } from '../helpers/http';
import { callWith } from '../helpers/limited';
import { seed } from '../helpers/seed';

let alice: Record<string, string>;

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  alice = await authHeaders('alice');
});

beforeEach(() => {
  fragmentCache.reset();
  forgetVersionCeilings();
});

const FORGED = '999999999999';

describe('finding 2: a forged version hint cannot force recomputes', () => {
  it('a huge Foyer-Version makes one D1 read, not one (or two) per request', async () => {
    let roundTrips = 0;
    for (let i = 0; i < 20; i++) {
      const res = await call('/api/v1/intro-page/alice', { headers: { ...alice, 'Foyer-Version': FORGED } });
      expect(res.status).toBe(200);
      roundTrips += lastD1Trace?.roundTrips ?? 0;
    }
    // The first request reads D1 (personal and shared); the other 19 are served from the isolate.
    expect(roundTrips).toBeLessThanOrEqual(4);
  });

  it('the same through a forged foyer_v cookie on the HTML page', async () => {
    const cookie = `foyer_session=${alice.Authorization?.slice(7)}; foyer_v=alice.${FORGED}`;
    let roundTrips = 0;
    for (let i = 0; i < 10; i++) {
      const res = await call('/', { headers: { Cookie: cookie } });
      expect(res.status).toBe(200);
      await res.text();
      roundTrips += lastD1Trace?.roundTrips ?? 0;
    }
    expect(roundTrips).toBeLessThanOrEqual(4);
  });

  it('concurrent requests with a forged hint share one computation', async () => {
    const d1 = switchableD1(env.DB);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        call('/api/v1/intro-page/alice', { headers: { ...alice, 'Foyer-Version': FORGED } }, { env: { DB: d1.db } }),
      ),
    );
    for (const res of responses) expect(res.status).toBe(200);
    // One personal and one shared computation (a batch each); no request computes again on its own.
    expect(d1.roundTrips).toBeLessThanOrEqual(3);
  });

  it('read-your-writes still holds: a real write is seen at once', async () => {
    const write = await call('/api/v1/tasks', json({ title: 'Seen at once' }, alice));
    const version = write.headers.get('Foyer-Version') ?? '';
    const page = await call('/api/v1/intro-page/alice', { headers: { ...alice, 'Foyer-Version': version } });
    const body = await page.json<{ sections: { activityFeed: { events: { id: number }[] } } }>();
    expect(body.sections.activityFeed.events[0]?.id).toBe(Number(version));
  });
});

describe('finding 2: the HTML routes are rate limited', () => {
  const LIMITED = { RATE_LIMIT_REQUESTS: '4', RATE_LIMIT_WINDOW_SECONDS: '60' };
  for (const [path, method] of [
    ['/', 'GET'],
    ['/login', 'GET'],
    ['/admin', 'GET'],
    ['/logout', 'POST'],
  ] as const) {
    it(`a loop of ${method} ${path} is refused with 429`, async () => {
      const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
      const init: RequestInit = {
        method,
        redirect: 'manual',
        headers: { 'CF-Connecting-IP': ip, Origin: 'http://foyer.test', 'Content-Type': 'application/x-www-form-urlencoded' },
      };
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await callWith(LIMITED, path, init)).status);
      expect(statuses).toContain(429);
      const refused = await callWith(LIMITED, path, init);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThan(0);
      expect(refused.headers.get('Content-Type')).toMatch(/problem\+json/);
    });
  }

  it('a page request costs one token (the limiter runs once per request)', async () => {
    const init = { redirect: 'manual' as const, headers: { 'CF-Connecting-IP': '192.0.2.78' } };
    const first = await callWith({ RATE_LIMIT_REQUESTS: '40' }, '/admin', init);
    const second = await callWith({ RATE_LIMIT_REQUESTS: '40' }, '/admin', init);
    expect(first.headers.get('RateLimit')).toMatch(/r=39/);
    expect(second.headers.get('RateLimit')).toMatch(/r=38/);
  });
});
