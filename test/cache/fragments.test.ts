import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { FragmentCache, fragmentCache } from '../../worker/cache/fragment-cache';
import { PURGE_STATE_KEY } from '../../worker/cache/protocol';
import type { IntroPage } from '../../worker/sections';
import { assembleIntroPage } from '../../worker/services/intro-page';
import { authHeaders } from '../helpers/auth';
import { guardD1 } from '../helpers/d1-guard';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

const PERSONAL = ['userStatistics', 'actionableItems', 'activityFeed', 'personalization'];

async function getPage(userId: string, init: { as?: string; headers?: Record<string, string>; env?: Partial<Env> } = {}) {
  const headers = { ...(await authHeaders(init.as ?? userId)), ...init.headers };
  const res = await call(`/api/v1/intro-page/${userId}`, { headers }, { env: init.env });
  const body = res.status === 200 ? await res.json<IntroPage>() : null;
  return { res, body: body as IntroPage, status: res.headers.get('Cache-Status') ?? '' };
}

const failingD1 = () => guardD1(env.DB, { fail: () => true }).db;

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 12 });
});

describe('fragments: isolate, then KV, then D1', () => {
  it('computes a miss from D1, then serves a hit from the isolate, then from KV in a fresh isolate', async () => {
    const first = await getPage('user-00001');
    expect(first.res.status).toBe(200);
    expect(first.status).toMatch(/foyer-isolate; fwd=miss; stored$/);
    expect(first.res.headers.get('Server-Timing')).toMatch(/d1;dur=/);

    const second = await getPage('user-00001');
    expect(second.status).toMatch(/^foyer-isolate; hit; ttl=\d+$/);
    expect(second.body).toEqual(first.body);
    expect(second.res.headers.get('Server-Timing')).not.toMatch(/d1;dur=/);

    fragmentCache.reset(); // as if the next request landed in another isolate
    const third = await getPage('user-00001');
    expect(third.status).toMatch(/^foyer-kv; hit; ttl=\d+, foyer-isolate; fwd=miss; stored$/);
    expect(third.body).toEqual(first.body);
  });

  it('computes concurrent misses for the same fragment once', async () => {
    await getPage('user-00011'); // the shared fragment is now in the isolate
    const d1 = guardD1(env.DB);
    const headers = await authHeaders('user-00002');
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => call('/api/v1/intro-page/user-00002', { headers }, { env: { DB: d1.db } })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(d1.trace.roundTrips).toBe(1);
    expect(new Set(responses.map((r) => r.headers.get('ETag'))).size).toBe(1);
  });

  it('answers the owner, or an admin, and nobody else', async () => {
    expect((await getPage('alice', { as: 'bob' })).res.status).toBe(403);
    const asAdmin = await call('/api/v1/intro-page/alice', { headers: await authHeaders('ops', 'admin') });
    expect(asAdmin.status).toBe(200);
    expect((await asAdmin.json<IntroPage>()).userId).toBe('alice');
  });
});

describe('read-your-writes', () => {
  it("shows the user's own task change on their next page load, without waiting for KV", async () => {
    const before = await getPage('alice');
    expect(before.body.sections.actionableItems?.map((i) => i.taskId)).toContain('alice-task-2');
    const headers = await authHeaders('alice');
    // settle: false — the next read does not wait for the write's background work.
    const write = await call('/api/v1/tasks/alice-task-2', json({ status: 'done' }, headers, 'PATCH'), { settle: false });
    expect(write.status).toBe(200);
    const { event } = await write.json<{ event: { id: number } }>();
    expect(write.headers.get('Foyer-Version')).toBe(String(event.id));
    expect(write.headers.get('Set-Cookie')).toMatch(new RegExp(`foyer_v=alice\\.${event.id};.*HttpOnly`));

    const after = await getPage('alice');
    expect(after.body.sections.actionableItems?.map((i) => i.taskId)).not.toContain('alice-task-2');
    expect(after.body.sections.userStatistics?.openTasks).toBe((before.body.sections.userStatistics?.openTasks ?? 0) - 1);
    expect(after.body.sections.activityFeed?.events[0]?.id).toBe(event.id);
  });

  it('shows a preference change at once', async () => {
    const headers = await authHeaders('bob');
    await getPage('bob');
    const write = await call('/api/v1/users/bob/preferences', json({ theme: 'dark' }, headers, 'PATCH'));
    expect(write.status).toBe(200);
    expect((await getPage('bob')).body.sections.personalization?.theme).toBe('dark');
  });

  it('holds in an isolate that still has the old page when the request carries the version token', async () => {
    const other = new FragmentCache(); // another isolate, which never saw the write
    const input = { env, waitUntil: () => undefined, userId: 'user-00003' };
    const old = await assembleIntroPage(input, other);
    const headers = await authHeaders('user-00003');
    const write = await call('/api/v1/tasks', json({ title: 'Written elsewhere' }, headers));
    const version = Number(write.headers.get('Foyer-Version'));

    // Without the token that isolate still has a fresh-looking copy: this is what the token is for.
    const stale = await assembleIntroPage(input, other);
    expect(stale.page).toEqual(old.page);

    const fresh = await assembleIntroPage({ ...input, minVersion: version }, other);
    expect(fresh.page.sections.activityFeed?.events[0]).toMatchObject({ id: version, type: 'task.created' });
    expect(fresh.cacheStatus).toMatch(/^foyer-kv; hit/); // the write stored it; no D1 needed
  });

  it('takes the token from the foyer_v cookie the browser carries, for that user only', async () => {
    const headers = await authHeaders('user-00004');
    const write = await call('/api/v1/tasks', json({ title: 'From the browser' }, headers));
    const cookie = (write.headers.get('Set-Cookie') ?? '').split(';')[0] as string;
    const version = Number(write.headers.get('Foyer-Version'));
    expect(cookie).toBe(`foyer_v=user-00004.${version}`);
    const page = await getPage('user-00004', { headers: { Cookie: cookie } });
    expect(page.body.sections.activityFeed?.events[0]?.id).toBe(version);
    // A token ahead of every cached copy forces a recomputation: with D1 down that shows as degraded.
    const ahead = await getPage('user-00004', { headers: { Cookie: `foyer_v=user-00004.${version + 1}` }, env: { DB: failingD1() } });
    expect(ahead.body.degraded).toEqual(PERSONAL);
    const foreign = await getPage('user-00004', { headers: { Cookie: `foyer_v=alice.${version + 1}` }, env: { DB: failingD1() } });
    expect(foreign.body.degraded).toEqual([]);
  });
});

describe('degradation', () => {
  it('serves the last good fragment, listed in degraded, when D1 fails', async () => {
    const good = await getPage('user-00005');
    const version = good.body.sections.activityFeed?.events[0]?.id ?? 0;
    // The user just wrote (their token is ahead of the cached copy) and D1 is now down.
    const res = await getPage('user-00005', { headers: { 'Foyer-Version': String(version + 1) }, env: { DB: failingD1() } });
    expect(res.res.status).toBe(200);
    expect(res.body.degraded).toEqual(PERSONAL);
    expect(res.body.sections).toEqual(good.body.sections);
    expect(res.status).toMatch(/detail=source-failed/);

    const health = await call('/api/v1/intro-page/user-00005/health', { headers: await authHeaders('user-00005') });
    const report = await health.json<{ sections: Record<string, { lastError: { reason: string } | null; source: string }> }>();
    expect(report.sections.userStatistics?.lastError?.reason).toBe('source failed (D1 returned an error)');
    expect(report.sections.systemOverview?.lastError).toBeNull();
    expect(JSON.stringify(report)).not.toMatch(/D1_ERROR|select/i);
  });

  it('serves null sections, listed in degraded, with a 200, when D1 fails and nothing is cached', async () => {
    await getPage('user-00011'); // shared fragment cached
    const res = await getPage('user-00006', { env: { DB: failingD1() } });
    expect(res.res.status).toBe(200);
    for (const name of PERSONAL) expect(res.body.sections[name as keyof IntroPage['sections']]).toBeNull();
    expect(res.body.sections.systemOverview).not.toBeNull();
    expect(res.body.degraded).toEqual(PERSONAL);
  });

  it('treats a source slower than the time budget as failed, and caches its late answer', async () => {
    // Slow in every D1 session too (reads go through withSession: worker/db/sessions.ts).
    const slow = <T extends D1Database | D1DatabaseSession>(d1: T): T =>
      new Proxy(d1, {
        get(target, prop) {
          if (prop === 'withSession') return (at?: string) => slow((target as D1Database).withSession(at));
          if (prop === 'batch') {
            return async (statements: D1PreparedStatement[]) => {
              await scheduler.wait(300);
              return target.batch(statements);
            };
          }
          const value = Reflect.get(target, prop);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const slowDb = slow(env.DB);
    const cache = new FragmentCache({ budgetMs: 50 });
    const late: Promise<unknown>[] = [];
    const input = { env: { ...env, DB: slowDb }, waitUntil: (p: Promise<unknown>) => late.push(p), userId: 'user-00007' };
    const first = await assembleIntroPage(input, cache);
    expect(first.page.degraded.length).toBeGreaterThan(0);
    await Promise.all(late);
    const second = await assembleIntroPage(input, cache);
    expect(second.page.degraded).toEqual([]);
    expect(second.cacheStatus).toMatch(/^foyer-isolate; hit/);
  });
});

describe('work shared between requests never strands a later one', () => {
  it('goes on when the purge-state read it would join never settles (its request was cancelled)', async () => {
    let calls = 0;
    // The first read of the purge state hangs forever, as one started by a request whose client went away.
    const kv = new Proxy(env.CACHE, {
      get(target, prop) {
        if (prop !== 'get') return Reflect.get(target, prop, target);
        return (key: string, ...rest: unknown[]) => {
          if (key === PURGE_STATE_KEY && ++calls === 1) return new Promise(() => {});
          return (target.get as (...a: unknown[]) => unknown).call(target, key, ...rest);
        };
      },
    });
    const cache = new FragmentCache();
    const hungEnv = { ...env, CACHE: kv };
    const started = Date.now();
    // Never read the purge state: nothing may come from the cache, but the page is served.
    const first = await cache.purgeState(hungEnv);
    expect(first).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(3000);
    // The stuck read is abandoned for a new one, which answers.
    await scheduler.wait(1100);
    expect(await cache.purgeState(hungEnv)).toEqual(expect.objectContaining({ seq: expect.any(Number) }));
    expect(calls).toBe(2);
  });

  it('does not join a computation that has outlived its budget', async () => {
    let batches = 0;
    const hanging = <T extends D1Database | D1DatabaseSession>(d1: T): T =>
      new Proxy(d1, {
        get(target, prop) {
          if (prop === 'withSession') return (at?: string) => hanging((target as D1Database).withSession(at));
          if (prop === 'batch') {
            return (statements: D1PreparedStatement[]) => {
              // The first computation hangs forever; later ones answer.
              if (++batches === 1) return new Promise(() => {});
              return target.batch(statements);
            };
          }
          const value = Reflect.get(target, prop);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const db = hanging(env.DB);
    const cache = new FragmentCache({ budgetMs: 100 });
    const input = { env: { ...env, DB: db }, waitUntil: () => {}, userId: 'user-00009' };
    const first = await assembleIntroPage(input, cache);
    expect(first.page.degraded.length).toBeGreaterThan(0);
    await scheduler.wait(150);
    const second = await assembleIntroPage(input, cache);
    expect(second.page.degraded).toEqual([]);
  });
});

describe('HTTP caching', () => {
  it('answers a matching If-None-Match with 304, and a changed page with 200', async () => {
    const a = await getPage('user-00008');
    const etag = a.res.headers.get('ETag') as string;
    expect(etag).toMatch(/^"[^"]+"$/); // strong
    const b = await getPage('user-00008');
    expect(b.res.headers.get('ETag')).toBe(etag);
    expect(b.body.generatedAt).toBe(a.body.generatedAt);

    const notModified = await getPage('user-00008', { headers: { 'If-None-Match': etag } });
    expect(notModified.res.status).toBe(304);
    expect(await notModified.res.text()).toBe('');
    expect(notModified.res.headers.get('ETag')).toBe(etag);
    expect(notModified.res.headers.get('Cache-Status')).toMatch(/foyer-isolate; hit/);

    expect((await getPage('user-00008', { headers: { 'If-None-Match': '"something-else"' } })).res.status).toBe(200);

    await call('/api/v1/tasks', json({ title: 'Changes the page' }, await authHeaders('user-00008')));
    const changed = await getPage('user-00008', { headers: { 'If-None-Match': etag } });
    expect(changed.res.status).toBe(200);
    expect(changed.res.headers.get('ETag')).not.toBe(etag);
  });

  it('gives each warm hit the same page timings, and only its own total (the timings list is shared between hits)', async () => {
    await getPage('user-00009');
    const hits = [await getPage('user-00009'), await getPage('user-00009'), await getPage('user-00009')];
    const pageParts = (header: string) => header.split(', ').filter((m) => !/^(total|ratelimit);/.test(m));
    const headers = hits.map((h) => h.res.headers.get('Server-Timing') ?? '');
    for (const header of headers) {
      expect(header.match(/(^|, )total;/g)).toHaveLength(1);
      expect(header.match(/(^|, )ratelimit;/g)).toHaveLength(1);
      expect(pageParts(header)).toEqual(pageParts(headers[0] ?? ''));
    }
    expect(pageParts(headers[0] ?? '').sort()).toEqual(
      [
        'coord;dur=0.0;desc="purge generations"',
        'isolate;dur=0.0;desc="isolate lookup"',
        ...PERSONAL.map((name) => `${name};dur=0.0;desc="isolate hit"`),
        'systemOverview;dur=0.0;desc="isolate hit"',
      ].sort(),
    );
  });

  it('keeps personal pages out of shared caches', async () => {
    const res = await getPage('user-00008');
    expect(res.res.headers.get('Cache-Control')).toBe('private, no-cache');
    expect(res.res.headers.get('Server-Timing')).toMatch(/userStatistics;dur=[\d.]+;desc="isolate hit"/);
  });
});

describe('isolation between users', () => {
  it('keeps personal data out of every shared key, and each personal key to its owner', async () => {
    await getPage('alice');
    await getPage('bob');
    const owners = ['alice', 'bob'];
    const personalMarkers: Record<string, string[]> = {
      alice: ['alice-task', 'Renew passport', '"alice"'],
      bob: ['bob-task', 'Fix the bike brakes', '"bob"'],
    };
    const { keys } = await env.CACHE.list({ prefix: 'frag:' });
    expect(keys.length).toBeGreaterThan(0);
    let shared = 0;
    for (const { name } of keys) {
      const value = (await env.CACHE.get(name)) ?? '';
      const owner = /:user:([^:]+):/.exec(name)?.[1];
      if (!owner) {
        shared++;
        for (const markers of Object.values(personalMarkers)) for (const m of markers) expect(value).not.toContain(m);
        continue;
      }
      for (const other of owners.filter((o) => o !== owner)) for (const m of personalMarkers[other] ?? []) expect(value).not.toContain(m);
    }
    expect(shared).toBeGreaterThan(0);
    // Nothing is put in the Cache API at all.
    const edge = (caches as unknown as { default: Cache }).default;
    expect(await edge.match('http://foyer.test/api/v1/intro-page/alice')).toBeUndefined();
  });
});
