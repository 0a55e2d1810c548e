import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { FragmentCache, fragmentCache } from '../../worker/cache/fragment-cache';
import { PURGE_STATE_KEY } from '../../worker/cache/protocol';
import type { IntroPage } from '../../worker/sections';
import { assembleIntroPage } from '../../worker/services/intro-page';
import { authHeaders } from '../helpers/auth';
import { guardD1 } from '../helpers/d1-guard';
import { call, json } from '../helpers/http';
import { guardKv, maxPutsPerKeyPerSecond } from '../helpers/kv-guard';
import { seed } from '../helpers/seed';

async function page(userId: string, options: { env?: Partial<Env> } = {}): Promise<IntroPage> {
  const res = await call(`/api/v1/intro-page/${userId}`, { headers: await authHeaders(userId) }, options);
  expect(res.status).toBe(200);
  return res.json<IntroPage>();
}

async function admin(path: string, body?: unknown, options: { env?: Partial<Env> } = {}) {
  const headers = await authHeaders('ops', 'admin');
  return call(`/api/v1/admin/cache${path}`, body === undefined ? { headers } : json(body, headers), options);
}

const titleOf = (p: IntroPage, taskId: string) => p.sections.actionableItems?.find((i) => i.taskId === taskId)?.title;

async function renameTask(taskId: string, title: string): Promise<void> {
  // Straight into D1, behind the cache's back: only a purge can make it show.
  await env.DB.prepare('update tasks set title = ? where id = ?').bind(title, taskId).run();
}

async function auditCount(action: string): Promise<number> {
  const row = await env.DB.prepare('select count(*) as n from audit_log where action = ?').bind(action).first<{ n: number }>();
  return row?.n ?? 0;
}

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 6 });
});

describe('admin routes are for admins only', () => {
  it('answers 401 without a token and 403 to a user, on every route', async () => {
    const user = await authHeaders('alice');
    for (const [path, body] of [
      ['', undefined],
      ['/purge', { scope: 'all' }],
      ['/warm', { top: 1 }],
    ] as const) {
      const init = body === undefined ? { headers: user } : json(body, user);
      expect((await call(`/api/v1/admin/cache${path}`, init)).status).toBe(403);
      const anonymous = body === undefined ? {} : json(body);
      expect((await call(`/api/v1/admin/cache${path}`, anonymous)).status).toBe(401);
    }
  });

  it('rejects malformed purges and warms with 400 and the field errors', async () => {
    for (const body of [{ scope: 'user' }, { scope: 'everything' }, { scope: 'section', section: 'nope' }]) {
      const res = await admin('/purge', body);
      expect(res.status).toBe(400);
    }
    for (const body of [{ top: 0 }, { userIds: [] }, { top: 2, userIds: ['alice'] }]) {
      expect((await admin('/warm', body)).status).toBe(400);
    }
  });
});

// Every purge answers only after the 1 s sync interval: these take seconds by design.
describe('purge', { timeout: 20_000 }, () => {
  it('scope user: the next page is computed afresh', async () => {
    await page('bob');
    await renameTask('bob-task-1', 'Fix the bike brakes (purge user)');
    expect(titleOf(await page('bob'), 'bob-task-1')).toBe('Fix the bike brakes'); // still the cached copy
    const before = await auditCount('cache.purge');
    const res = await admin('/purge', { scope: 'user', userId: 'bob' });
    expect(res.status).toBe(200);
    const answer = await res.json<{ purged: unknown; covers: string; generation: number; audited: boolean }>();
    expect(answer).toMatchObject({ purged: { scope: 'user', userId: 'bob' }, audited: true });
    expect(answer.covers).toContain('bob');
    expect(titleOf(await page('bob'), 'bob-task-1')).toBe('Fix the bike brakes (purge user)');
    expect(await auditCount('cache.purge')).toBe(before + 1);
    const row = await env.DB.prepare("select actor, detail from audit_log where action = 'cache.purge' order by id desc limit 1").first<{
      actor: string;
      detail: string;
    }>();
    expect(row?.actor).toBe('ops');
    expect(JSON.parse(row?.detail ?? '{}')).toMatchObject({ scope: 'user', userId: 'bob', generation: answer.generation });
  });

  it('scope section (shared): every user sees the new system overview', async () => {
    await page('alice');
    await env.DB.prepare(
      "insert into announcements (id, title, body, severity, starts_at) values ('purge-test', 'Fresh news', 'After purge', 'info', ?)",
    )
      .bind(Date.now() - 1000)
      .run();
    expect((await page('alice')).sections.systemOverview?.announcements.map((a) => a.id)).not.toContain('purge-test');
    expect((await admin('/purge', { scope: 'section', section: 'systemOverview' })).status).toBe(200);
    expect((await page('alice')).sections.systemOverview?.announcements.map((a) => a.id)).toContain('purge-test');
    expect((await page('bob')).sections.systemOverview?.announcements.map((a) => a.id)).toContain('purge-test');
  });

  it('scope section for one user, and for everyone', async () => {
    await page('alice');
    await page('user-00001');
    await renameTask('alice-task-1', 'Renew passport (section purge)');
    await admin('/purge', { scope: 'section', section: 'actionableItems', userId: 'alice' });
    expect(titleOf(await page('alice'), 'alice-task-1')).toBe('Renew passport (section purge)');

    await renameTask('alice-task-1', 'Renew passport (section purge, all users)');
    await admin('/purge', { scope: 'section', section: 'actionableItems' });
    expect(titleOf(await page('alice'), 'alice-task-1')).toBe('Renew passport (section purge, all users)');
  });

  it('scope all, including in another isolate that had the page in memory', async () => {
    const other = new FragmentCache(); // a second isolate with its own memory
    const input = { env, waitUntil: () => undefined, userId: 'alice' };
    await assembleIntroPage(input, other);
    await page('alice');
    await renameTask('alice-task-1', 'Renew passport (purge all)');
    expect(titleOf((await assembleIntroPage(input, other)).page, 'alice-task-1')).not.toBe('Renew passport (purge all)');

    const res = await admin('/purge', { scope: 'all' });
    expect(res.status).toBe(200);
    expect(titleOf(await page('alice'), 'alice-task-1')).toBe('Renew passport (purge all)');
    // The other isolate's copy is older than its sync interval by the time the purge answered.
    const there = await assembleIntroPage(input, other);
    expect(titleOf(there.page, 'alice-task-1')).toBe('Renew passport (purge all)');
    expect(there.cacheStatus).toMatch(/fwd=miss/);
  });

  it('after a purge with D1 down, serves nothing purged: sections are null, the page still 200', async () => {
    await page('user-00002');
    await admin('/purge', { scope: 'all' });
    const res = await page('user-00002', { env: { DB: guardD1(env.DB, { fail: () => true }).db } });
    expect(Object.values(res.sections).every((s) => s === null)).toBe(true);
    expect(res.degraded).toHaveLength(5);
  });

  it('survives a purge storm: every purge answers, no fragment is written, the state goes out in one KV write a second, pages stay correct', async () => {
    const kv = guardKv(env.CACHE);
    const before = await auditCount('cache.purge');
    const bodies = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0
        ? { scope: 'all' }
        : i % 3 === 1
          ? { scope: 'user', userId: 'alice' }
          : { scope: 'section', section: 'userStatistics', userId: 'bob' },
    );
    const started = Date.now();
    const responses = await Promise.all(bodies.map((b) => admin('/purge', b, { env: { CACHE: kv.kv } })));
    expect(responses.map((r) => r.status)).toEqual(Array(30).fill(200));
    const generations = await Promise.all(responses.map(async (r) => (await r.json<{ generation: number }>()).generation));
    expect(new Set(generations).size).toBe(30);
    // 30 purges at once share the coordinator's KV writes (one a second): a few seconds, not 30.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(kv.trace.puts).toEqual([]);
    expect((await env.CACHE.get<{ seq: number }>(PURGE_STATE_KEY, 'json'))?.seq).toBe(Math.max(...generations));
    expect(await auditCount('cache.purge')).toBe(before + 30);

    // Pages and writes right after the storm: KV sees at most one write per key per second.
    const headers = await authHeaders('alice');
    for (let i = 0; i < 5; i++) {
      await call('/api/v1/tasks', json({ title: `storm ${i}` }, headers), { env: { CACHE: kv.kv }, settle: false });
      expect((await page('alice', { env: { CACHE: kv.kv } })).sections.activityFeed?.events[0]?.payload).toMatchObject({
        title: `storm ${i}`,
      });
    }
    await scheduler.wait(1500); // deferred `latest` writes go out
    expect(kv.trace.puts.length).toBeGreaterThan(0);
    expect(maxPutsPerKeyPerSecond(kv.trace)).toBeLessThanOrEqual(1);
  }, 30_000); // each purge waits out the isolates' 1 s sync interval; writes wait for deferred KV puts
});

describe('warm', () => {
  it('computes and stores the named users, reports unknown ones, and is audited', async () => {
    const before = await auditCount('cache.warm');
    const res = await admin('/warm', { userIds: ['user-00003', 'ghost'] });
    expect(res.status).toBe(200);
    const answer = await res.json<{ warmed: { userId: string }[]; failed: { userId: string; reason: string }[]; shared: boolean }>();
    expect(answer.warmed.map((w) => w.userId)).toEqual(['user-00003']);
    expect(answer.failed).toEqual([{ userId: 'ghost', reason: 'no such user' }]);
    expect(answer.shared).toBe(true);
    expect(await auditCount('cache.warm')).toBe(before + 1);

    fragmentCache.reset(); // a fresh isolate finds it in KV
    const res2 = await call('/api/v1/intro-page/user-00003', { headers: await authHeaders('user-00003') });
    expect(res2.headers.get('Cache-Status')).toMatch(/^foyer-kv; hit/);
  });

  it('warms the most active users with {top:N}', async () => {
    const res = await admin('/warm', { top: 3 });
    const answer = await res.json<{ warmed: { userId: string }[] }>();
    expect(answer.warmed.length).toBe(3);
  });
});

describe('status', () => {
  it('reports generation, hits and misses per layer, hit rate and keys', async () => {
    await page('user-00004');
    await page('user-00004');
    const res = await admin('');
    expect(res.status).toBe(200);
    const status = await res.json<{
      generation: { seq: number };
      hitRate: number;
      layers: { isolate: { hits: number; misses: number }; kv: { hits: number; misses: number } };
      keys: { kv: { total: number; user: number; shared: number }; isolate: { entries: number } };
    }>();
    expect(status.generation.seq).toBeGreaterThan(0);
    expect(status.layers.isolate.hits).toBeGreaterThan(0);
    expect(status.layers.kv.misses).toBeGreaterThan(0);
    expect(status.hitRate).toBeGreaterThan(0);
    expect(status.keys.kv.user).toBeGreaterThan(0);
    expect(status.keys.kv.shared).toBeGreaterThan(0);
    expect(status.keys.isolate.entries).toBeGreaterThan(0);
  });
});

describe('page health', () => {
  it("reports each section's source, freshness and last error to the user and admins only", async () => {
    await page('user-00005');
    const res = await call('/api/v1/intro-page/user-00005/health', { headers: await authHeaders('user-00005') });
    expect(res.status).toBe(200);
    const health = await res.json<{ sections: Record<string, { source: string; freshness: string; lastError: unknown }> }>();
    expect(Object.keys(health.sections).sort()).toEqual([
      'actionableItems',
      'activityFeed',
      'personalization',
      'systemOverview',
      'userStatistics',
    ]);
    for (const s of Object.values(health.sections)) expect(s).toMatchObject({ source: 'd1', freshness: 'fresh', lastError: null });
    expect((await call('/api/v1/intro-page/user-00005/health', { headers: await authHeaders('bob') })).status).toBe(403);
    expect((await call('/api/v1/intro-page/user-00005/health', { headers: await authHeaders('ops', 'admin') })).status).toBe(200);
  });
});
