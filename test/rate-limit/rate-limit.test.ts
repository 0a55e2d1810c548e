import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimiter } from '../../durable-objects/rate-limiter';
import { allowances } from '../../worker/rate-limit/allowance';
import { LIMITER_SHARDS, limiterShard } from '../../worker/rate-limit/partition';
import { authHeaders } from '../helpers/auth';
import { call, json } from '../helpers/http';
import { callWith, parseLimit, type Vars } from '../helpers/limited';
import { seed } from '../helpers/seed';

const TWENTY = { RATE_LIMIT_REQUESTS: '20', RATE_LIMIT_WINDOW_SECONDS: '60' } satisfies Vars;

/** A principal no other test uses, so buckets never leak between tests. */
function someone(label: string): string {
  return `rl-${label}-${crypto.randomUUID().slice(0, 8)}`;
}

async function burst(vars: Vars, n: number, path: string, init: () => Promise<RequestInit> | RequestInit): Promise<Response[]> {
  const out: Response[] = [];
  for (let i = 0; i < n; i++) {
    const res = await callWith(vars, path, await init());
    await res.arrayBuffer();
    out.push(res);
  }
  return out;
}

// Real D1 and objects on a shared, busy machine: give each test room.
vi.setConfig({ testTimeout: 30_000 });

beforeAll(async () => {
  await seed(env.DB);
});
beforeEach(() => allowances.clear());
afterEach(() => vi.restoreAllMocks());

describe('budgets', () => {
  it('puts RateLimit and RateLimit-Policy on every limited response, errors included', async () => {
    const user = someone('headers');
    const ok = await callWith(TWENTY, '/api/v1/tasks', { headers: await authHeaders(user) });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('RateLimit-Policy')).toBe('"read";q=20;w=60');
    expect(ok.headers.get('RateLimit')).toMatch(/^"read";r=19;t=\d+$/);
    // The first request of a principal waits on its object; the next is served from the lease.
    expect(ok.headers.get('Server-Timing')).toMatch(/ratelimit;dur=[\d.]+;desc="object"/);
    const again = await callWith(TWENTY, '/api/v1/tasks', { headers: await authHeaders(user) });
    expect(again.headers.get('Server-Timing')).toMatch(/ratelimit;dur=[\d.]+;desc="lease"/);

    const forbidden = await callWith(TWENTY, '/api/v1/intro-page/alice', { headers: await authHeaders(user) });
    expect(forbidden.status).toBe(403);
    expect(parseLimit(forbidden.headers.get('RateLimit'))?.params.r).toBe(17);

    // The suite's default configuration (the worker as deployed) carries the fields too.
    const viaWorker = await call('/api/v1/openapi.json');
    expect(viaWorker.headers.get('RateLimit-Policy')).toMatch(/^"read";q=\d+;w=\d+$/);
    expect(viaWorker.headers.get('RateLimit')).toMatch(/^"read";r=\d+;t=\d+$/);
  });

  it('gives two principals separate budgets', async () => {
    const [a, b] = [someone('a'), someone('b')];
    const spent = await burst(TWENTY, 21, '/api/v1/tasks', () => authHeaders(a).then((headers) => ({ headers })));
    expect(spent.map((r) => r.status).filter((s) => s === 429)).toHaveLength(1);
    const other = await callWith(TWENTY, '/api/v1/tasks', { headers: await authHeaders(b) });
    expect(other.status).toBe(200);
    expect(parseLimit(other.headers.get('RateLimit'))?.params.r).toBe(19);
  });

  it('keeps separate budgets for two principals that share a limiter object', async () => {
    const a = someone('shard-a');
    let b = someone('shard-b');
    while (limiterShard(`user:${b}`) !== limiterShard(`user:${a}`)) b = someone('shard-b');
    const spent = await burst(TWENTY, 21, '/api/v1/tasks', () => authHeaders(a).then((headers) => ({ headers })));
    expect(spent[20]?.status).toBe(429);
    const other = await callWith(TWENTY, '/api/v1/tasks', { headers: await authHeaders(b) });
    expect(other.status).toBe(200);
    expect(parseLimit(other.headers.get('RateLimit'))?.params.r).toBe(19);
  });

  it('limits writes more strictly than reads, in their own bucket', async () => {
    const headers = await authHeaders('user-00001'); // writes need a seeded user; no other test uses this one
    const writes = await burst(TWENTY, 6, '/api/v1/tasks', () => json({ title: 'Water the plants' }, headers));
    expect(writes.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 429]);
    expect(writes[5]?.headers.get('RateLimit-Policy')).toBe('"write";q=5;w=60');
    const read = await callWith(TWENTY, '/api/v1/tasks', { headers });
    expect(read.status).toBe(200);
    expect(read.headers.get('RateLimit-Policy')).toBe('"read";q=20;w=60');
  });

  it('is off with RATE_LIMIT_REQUESTS=0: no fields, no object, no 429', async () => {
    const headers = await authHeaders(someone('off'));
    const results = await burst({ RATE_LIMIT_REQUESTS: '0', RATE_LIMIT_WINDOW_SECONDS: '60' }, 3, '/api/v1/tasks', () => ({ headers }));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results[0]?.headers.has('RateLimit')).toBe(false);
    expect(results[0]?.headers.has('RateLimit-Policy')).toBe(false);
    expect(results[0]?.headers.get('Server-Timing') ?? '').not.toContain('ratelimit');
  });

  it('refills: after Retry-After the next request is served', async () => {
    const fast = { RATE_LIMIT_REQUESTS: '2', RATE_LIMIT_WINDOW_SECONDS: '1' } satisfies Vars;
    const headers = await authHeaders(someone('refill'));
    const first = await burst(fast, 3, '/api/v1/tasks', () => ({ headers }));
    expect(first.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(first[2]?.headers.get('Retry-After')).toBe('1');
    await new Promise((resolve) => setTimeout(resolve, 600)); // one token every 500 ms
    const again = await callWith(fast, '/api/v1/tasks', { headers });
    expect(again.status).toBe(200);
  });
});

describe('who is counted', () => {
  const openapi = '/api/v1/openapi.json';

  it('counts anonymous callers by CF-Connecting-IP; a spoofed X-Forwarded-For changes nothing', async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
    let n = 0;
    const spoofed = () => ({
      headers: {
        'CF-Connecting-IP': ip,
        'X-Forwarded-For': `198.51.100.${++n}`,
        'X-Real-IP': `192.0.2.${n}`,
        'True-Client-IP': `192.0.2.${n}`,
      },
    });
    const results = await burst(TWENTY, 21, openapi, spoofed);
    expect(results.slice(0, 20).every((r) => r.status === 200)).toBe(true);
    expect(results[20]?.status).toBe(429);
    const neighbour = await callWith(TWENTY, openapi, { headers: { 'CF-Connecting-IP': '198.51.100.1' } });
    expect(neighbour.status).toBe(200);
  });

  it('counts IPv6 callers per /64', async () => {
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:1`;
    const results = await burst(TWENTY, 21, openapi, () => ({
      headers: { 'CF-Connecting-IP': `${prefix}::${Math.floor(Math.random() * 0xffff).toString(16)}` },
    }));
    expect(results[20]?.status).toBe(429);
  });

  it('counts a bad token by address and still answers 401 under the limit', async () => {
    const ip = '192.0.2.77';
    const res = await callWith(TWENTY, '/api/v1/tasks', { headers: { Authorization: 'Bearer not.a.jwt', 'CF-Connecting-IP': ip } });
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toContain('Bearer');
    expect(parseLimit(res.headers.get('RateLimit'))?.params.r).toBe(19);
    const noToken = await callWith(TWENTY, '/api/v1/tasks', { headers: { 'CF-Connecting-IP': ip } });
    expect(noToken.status).toBe(401);
    expect(parseLimit(noToken.headers.get('RateLimit'))?.params.r).toBe(18);
  });

  it('keys health by address only, in its own generous bucket, so a busy user never breaks monitoring', async () => {
    const headers = { ...(await authHeaders(someone('monitor'))), 'CF-Connecting-IP': '192.0.2.200' };
    const reads = await burst(TWENTY, 21, '/api/v1/tasks', () => ({ headers }));
    expect(reads[20]?.status).toBe(429);
    const health = await callWith(TWENTY, '/api/v1/health', { headers });
    expect(health.status).not.toBe(429);
    expect(health.headers.get('RateLimit-Policy')).toBe('"health";q=200;w=60');
  });
});

describe('durability', () => {
  it('keeps counts when the object is evicted', async () => {
    const user = someone('evict');
    const headers = await authHeaders(user);
    const spent = await burst(TWENTY, 20, '/api/v1/tasks', () => ({ headers }));
    expect(spent.every((r) => r.status === 200)).toBe(true);

    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(limiterShard(`user:${user}`)));
    await evictDurableObject(stub);
    allowances.clear(); // and forget this isolate's memory: the answer must come from storage

    const after = await callWith(TWENTY, '/api/v1/tasks', { headers });
    expect(after.status).toBe(429);
    const stored = await runInDurableObject(stub, (_: RateLimiter, state) =>
      state.storage.sql.exec<{ tokens: number }>('SELECT tokens FROM buckets WHERE name = ?', `user:${user}|read`).one(),
    );
    expect(stored.tokens).toBeLessThan(1);
  });
});

describe('spreading principals over objects', () => {
  it('spreads partition keys evenly over the shards, the same way every time', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 6400; i++) {
      const shard = limiterShard(`user:user-${String(i).padStart(5, '0')}`);
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }
    expect(counts.size).toBe(LIMITER_SHARDS);
    // 100 keys per shard on average; no shard is a hot spot.
    expect(Math.max(...counts.values())).toBeLessThan(150);
    expect(Math.min(...counts.values())).toBeGreaterThan(50);
    expect(limiterShard('user:alice')).toBe(limiterShard('user:alice'));
    expect(limiterShard('ip:203.0.113.7')).toMatch(/^rate-limit-shard:\d+$/);
  });

  it("cleans up only the rows whose buckets are full again; the others' counts stay", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`cleanup-${crypto.randomUUID()}`));
    const quick = { quota: 1, windowSeconds: 1 };
    const slow = { quota: 1000, windowSeconds: 3600 };
    await stub.acquire({ bucket: 'user:quick|read', policy: quick, want: 1, leaseMs: 0, reports: [] });
    await stub.acquire({ bucket: 'user:slow|read', policy: slow, want: 10, leaseMs: 0, reports: [] });
    await scheduler.wait(1100); // the quick bucket refills within its 1 s window
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const names = await runInDurableObject(stub, (_: RateLimiter, state) =>
      state.storage.sql
        .exec<{ name: string }>('SELECT name FROM buckets ORDER BY name')
        .toArray()
        .map((r) => r.name),
    );
    expect(names).toEqual(['user:slow|read']);
    // The slow bucket still counts its 10 spent tokens; the quick one starts full.
    const slowNext = await stub.acquire({ bucket: 'user:slow|read', policy: slow, want: 1, leaseMs: 0, reports: [] });
    expect(slowNext.remaining).toBe(989);
    const quickNext = await stub.acquire({ bucket: 'user:quick|read', policy: quick, want: 1, leaseMs: 0, reports: [] });
    expect(quickNext.granted).toBe(1);
  });
});

describe('when the limiter object fails', () => {
  function objectThrows() {
    return vi.spyOn(RateLimiter.prototype, 'acquire').mockRejectedValue(new Error('simulated RateLimiter failure'));
  }

  it('fails open for reads and user writes, still limited per isolate', async () => {
    const spy = objectThrows();
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const headers = await authHeaders('user-00002'); // writes need a seeded user; no other test uses this one
    const read = await callWith(TWENTY, '/api/v1/tasks', { headers });
    expect(read.status).toBe(200);
    expect(read.headers.get('RateLimit-Policy')).toBe('"read";q=20;w=60');
    expect(spy).toHaveBeenCalled();
    const write = await callWith(TWENTY, '/api/v1/tasks', json({ title: 'Still works' }, headers));
    expect(write.status).toBe(201);
    // The fallback bucket is per isolate but real: the 21st read is refused.
    const rest = await burst(TWENTY, 20, '/api/v1/tasks', () => ({ headers }));
    expect(rest.slice(0, 19).every((r) => r.status === 200)).toBe(true);
    expect(rest[19]?.status).toBe(429);
  });

  it('fails closed for admin writes: 503 problem with Retry-After', async () => {
    objectThrows();
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const headers = await authHeaders(someone('ops'), 'admin');
    const res = await callWith(TWENTY, '/api/v1/admin/cache/purge', json({ scope: 'all' }, headers));
    expect(res.status).toBe(503);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(res.headers.get('RateLimit-Policy')).toBe('"admin";q=5;w=60');
  });

  it('fails open when the object does not answer in time', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const hanging = {
      idFromName: (name: string) => env.RATE_LIMITER.idFromName(name),
      get: () => ({ acquire: () => new Promise(() => {}) }),
    } as unknown as Env['RATE_LIMITER'];
    const started = Date.now();
    const res = await callWith({ ...TWENTY, RATE_LIMITER: hanging }, '/api/v1/tasks', { headers: await authHeaders(someone('slow')) });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('uses the object again once it recovers', async () => {
    const spy = objectThrows();
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const headers = await authHeaders(someone('recover'));
    expect((await callWith(TWENTY, '/api/v1/tasks', { headers })).status).toBe(200);
    spy.mockRestore();
    allowances.clear(); // skip the 5 s back-off
    const res = await callWith(TWENTY, '/api/v1/tasks', { headers });
    expect(res.status).toBe(200);
    expect(parseLimit(res.headers.get('RateLimit'))?.params.r).toBe(19);
  });
});
