import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../worker/app';
import { fragmentCache } from '../../worker/cache/fragment-cache';
import { BYPASS_MS } from '../../worker/rate-limit/allowance';
import { forgetHealthReport } from '../../worker/services/health-cache';
import { tokenFor } from '../helpers/auth';
import { type Breakable, breakableD1, breakableKv, breakableObjects, type Mode } from '../helpers/broken-bindings';
import { seed } from '../helpers/seed';

/**
 * Each dependency fails in turn, down (every call rejects) and slow (every call stalls past the
 * time budgets), while the others stay real. What users see must stay within the contract, the
 * health route must name the culprit, and recovery must need no manual step. docs/operations.md
 * ("Failure modes") cites these tests row by row.
 */
const d1 = breakableD1(env.DB);
const kv = breakableKv(env.CACHE);
const feed = breakableObjects(env.ACTIVITY_FEED, 'ActivityFeed');
const limiter = breakableObjects(env.RATE_LIMITER, 'RateLimiter');
const coordinator = breakableObjects(env.CACHE_COORDINATOR, 'CacheCoordinator');
const metricsStore = breakableObjects(env.METRICS, 'MetricsStore');
const bindings = {
  ...env,
  DB: d1.binding,
  CACHE: kv.binding,
  ACTIVITY_FEED: feed.binding,
  RATE_LIMITER: limiter.binding,
  CACHE_COORDINATOR: coordinator.binding,
  METRICS: metricsStore.binding,
} as Env;

const DEPENDENCIES: [string, Breakable<unknown>, string][] = [
  ['D1', d1, 'd1'],
  ['KV', kv, 'kv'],
  ['ActivityFeed', feed, 'feed'],
  ['RateLimiter', limiter, 'rateLimiter'],
  ['CacheCoordinator', coordinator, 'cacheCoordinator'],
  ['MetricsStore', metricsStore, 'metrics'],
];

let user: Record<string, string>;
let admin: Record<string, string>;

async function send(path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://foyer.test${path}`, init), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

type Page = { sections: Record<string, unknown>; degraded: string[] };

async function eventCount(): Promise<number> {
  return (await env.DB.prepare("select count(*) as n from activity_events where user_id = 'alice'").first<{ n: number }>())?.n ?? -1;
}

async function healthOf(): Promise<Record<string, { status: string }>> {
  forgetHealthReport();
  const res = await send('/api/v1/health', { headers: admin });
  return (await res.json<{ checks: Record<string, { status: string }> }>()).checks;
}

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 12 });
  user = { Authorization: `Bearer ${await tokenFor('alice')}` };
  admin = { Authorization: `Bearer ${await tokenFor('ops', 'admin')}` };
});

describe.each(DEPENDENCIES)('%s failing', (name, dependency, check) => {
  describe.each(['down', 'slow'] as Mode[])('%s', (mode) => {
    it(`warm pages still answer 200 (>= 99 %), writes stay whole, health names ${check}, recovery is automatic`, async () => {
      // Warm: the page is in this isolate (and KV) before the fault.
      expect((await send('/api/v1/intro-page/alice', { headers: user })).status).toBe(200);
      dependency.mode = mode;
      try {
        const reads = mode === 'down' ? 100 : 5;
        let ok = 0;
        for (let i = 0; i < reads; i++) {
          const res = await send('/api/v1/intro-page/alice', { headers: user });
          const page = res.status === 200 ? await res.json<Page>() : undefined;
          if (page && Array.isArray(page.degraded)) ok++;
        }
        expect(ok / reads).toBeGreaterThanOrEqual(0.99);

        // A write: whole or not at all; with D1 unavailable, a 503 with Retry-After.
        const before = await eventCount();
        const write = await send('/api/v1/tasks', {
          method: 'POST',
          headers: { ...user, 'Content-Type': 'application/json' },
          body: JSON.stringify({ title: `during ${name} ${mode}` }),
        });
        expect([201, 503]).toContain(write.status);
        if (name === 'D1' && mode === 'down') {
          expect(write.status).toBe(503);
          expect(write.headers.get('Retry-After')).toBeTruthy();
        }
        // A slow D1 still commits the batch: the answer is a late 201, never a 503 for a write
        // that happened (a client retrying it would write it twice).
        expect(await eventCount()).toBe(before + (write.status === 201 ? 1 : 0));

        if (name === 'RateLimiter') {
          // Fails closed for admin writes (503), open for reads (above: 200).
          const purge = await send('/api/v1/admin/cache/purge', {
            method: 'POST',
            headers: { ...admin, 'Content-Type': 'application/json' },
            body: JSON.stringify({ scope: 'user', userId: 'user-00012' }),
          });
          expect(purge.status).toBe(503);
          expect(purge.headers.get('Retry-After')).toBeTruthy();
        }

        expect((await healthOf())[check]?.status).toBe('down');
      } finally {
        dependency.mode = 'up';
      }

      // Recovery: no manual step, only the documented waits (the limiter's bypass window).
      if (name === 'RateLimiter') await scheduler.wait(BYPASS_MS + 100);
      expect((await healthOf())[check]?.status).not.toBe('down');
      const after = await send('/api/v1/intro-page/alice', { headers: user });
      expect(after.status).toBe(200);
      const write = await send('/api/v1/tasks', {
        method: 'POST',
        headers: { ...user, 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: `after ${name} ${mode}` }),
      });
      expect(write.status).toBe(201);
    }, 120_000);
  });
});

describe('a cold page with D1 down', () => {
  it('answers 200 with null sections, each listed in degraded', async () => {
    fragmentCache.reset();
    d1.mode = 'down';
    try {
      const res = await send('/api/v1/intro-page/user-00007', { headers: admin });
      expect(res.status).toBe(200);
      const page = await res.json<Page>();
      expect(page.sections.userStatistics).toBeNull();
      expect(page.degraded).toContain('userStatistics');
    } finally {
      d1.mode = 'up';
    }
  });
});
