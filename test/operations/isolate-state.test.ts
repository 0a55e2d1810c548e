import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../worker/app';
import type { FlagSnapshot } from '../../worker/flags/schema';
import { FLAG_SNAPSHOT_KEY, flagSnapshots } from '../../worker/flags/snapshot-store';
import { freshIsolate } from '../../worker/isolate';
import { metrics, takeBatch } from '../../worker/observability/metrics';
import { type Acquire, Allowances } from '../../worker/rate-limit/allowance';
import { emptyState, takeLease } from '../../worker/rate-limit/bucket';
import type { RatePolicy } from '../../worker/rate-limit/policy';
import type { IntroPage } from '../../worker/sections';
import { authHeaders, tokenFor } from '../helpers/auth';
import { failing } from '../helpers/broken-env';
import { switchableD1 } from '../helpers/d1-outage';
import { call, lastD1Trace } from '../helpers/http';
import { seed } from '../helpers/seed';

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 1 });
});

afterEach(() => {
  freshIsolate();
});

const ORIGIN = 'http://foyer.test';
const page = async (userId: string, headers: Record<string, string> = {}, bindings: Partial<Env> = {}) =>
  call(`/api/v1/intro-page/${userId}`, { headers: { ...(await authHeaders(userId)), ...headers } }, { env: bindings });

/** The KV key another isolate's logout leaves (auth/revocation.ts: the token's SHA-256, first 16 bytes in hex). */
async function revokedKey(token: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
  return `revoked:${[...bytes.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

describe('freshIsolate: the next request is served as a cold isolate serves it', () => {
  it('pages: a warm page comes from the isolate; after the reset it does not', async () => {
    await page('user-00001');
    expect((await page('user-00001')).headers.get('Cache-Status')).toMatch(/^foyer-isolate; hit/);
    freshIsolate();
    expect((await page('user-00001')).headers.get('Cache-Status')).not.toMatch(/^foyer-isolate; hit/);
  });

  it('revocations: a logout seen here is forgotten, and still refused through KV', async () => {
    const token = await tokenFor('user-00001', 'user', 1800);
    const cookie = `foyer_session=${token}`;
    const logout = await call('/logout', {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: cookie, Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(logout.status).toBe(303);
    const tasks = (bindings: Partial<Env> = {}) =>
      call('/api/v1/tasks', { headers: { Authorization: `Bearer ${token}` } }, { env: bindings });
    // With KV down only this isolate's memory knows of the logout.
    expect((await tasks({ CACHE: failing.kv() })).status).toBe(401);
    freshIsolate();
    expect((await tasks({ CACHE: failing.kv() })).status).toBe(200);
    freshIsolate();
    expect((await tasks()).status).toBe(401);
  });

  it('verified tokens: a logout made through another isolate is seen at once after the reset', async () => {
    const token = await tokenFor('user-00001', 'user', 1200);
    const tasks = () => call('/api/v1/tasks', { headers: { Authorization: `Bearer ${token}` } });
    expect((await tasks()).status).toBe(200);
    await env.CACHE.put(await revokedKey(token), '1', { expirationTtl: 600 });
    // Trusted from memory for minutes (auth/verify-token.ts); a cold isolate verifies afresh.
    expect((await tasks()).status).toBe(200);
    freshIsolate();
    expect((await tasks()).status).toBe(401);
  });

  it('flag snapshot: a change another isolate published is seen after the reset', async () => {
    const snapshot = (version: number, enabled: boolean): FlagSnapshot => ({
      version,
      flags: [{ key: 'focus-card', enabled, rollout: 100, allow: [], deny: [] }],
    });
    await env.CACHE.put(FLAG_SNAPSHOT_KEY, JSON.stringify(snapshot(1, false)));
    flagSnapshots.ttlMs = 60_000; // no background refresh within the test
    try {
      expect((await (await page('user-00001')).json<IntroPage>()).flags).toEqual({ 'focus-card': false });
      await env.CACHE.put(FLAG_SNAPSHOT_KEY, JSON.stringify(snapshot(2, true)));
      expect((await (await page('user-00001')).json<IntroPage>()).flags).toEqual({ 'focus-card': false });
      freshIsolate();
      expect((await (await page('user-00001')).json<IntroPage>()).flags).toEqual({ 'focus-card': true });
    } finally {
      flagSnapshots.reset();
      await env.CACHE.delete(FLAG_SNAPSHOT_KEY);
    }
  });

  it('health report: an outage hidden by the held report shows after the reset', async () => {
    const d1 = switchableD1(env.DB);
    const bindings = { ...env, DB: d1.db } as Env;
    const admin = await authHeaders('ops', 'admin');
    // Straight to the app: `call` wraps D1 anew per call, and the report is kept per set of bindings.
    const d1Status = async () => {
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(`${ORIGIN}/api/v1/health`, { headers: admin }), bindings, ctx);
      await waitOnExecutionContext(ctx);
      return (await res.json<{ checks: Record<string, { status: string }> }>()).checks.d1?.status;
    };
    expect(await d1Status()).not.toBe('down');
    d1.failWith = 'D1_ERROR: Network connection lost.';
    expect(await d1Status()).not.toBe('down');
    freshIsolate();
    expect(await d1Status()).toBe('down');
  });

  it('asset manifest: GET / names its script from the held manifest; after the reset it must fetch it again', async () => {
    const cookie = `foyer_session=${await tokenFor('user-00001')}`;
    const home = async (bindings: Partial<Env> = {}) => (await call('/', { headers: { Cookie: cookie } }, { env: bindings })).text();
    const brokenAssets = { fetch: async () => new Response('gone', { status: 500 }) } as unknown as Fetcher;
    expect(await home()).toMatch(/<script type="module" src=/);
    expect(await home({ ASSETS: brokenAssets })).toMatch(/<script type="module" src=/);
    freshIsolate();
    expect(await home({ ASSETS: brokenAssets })).not.toMatch(/<script type="module" src=/);
  });

  it('version ceilings: a forged version hint costs a D1 read once per isolate', async () => {
    const forged = { 'Foyer-Version': '999999999999' };
    await page('user-00001', forged);
    expect(lastD1Trace?.roundTrips).toBeGreaterThan(0);
    await page('user-00001', forged);
    expect(lastD1Trace?.roundTrips).toBe(0);
    freshIsolate();
    await page('user-00001', forged);
    expect(lastD1Trace?.roundTrips).toBeGreaterThan(0);
  });

  it('rate-limit allowances: a fresh isolate holds no lease and asks the limiter again', async () => {
    const policy: RatePolicy = { name: 'read', quota: 300, windowSeconds: 60, onLimiterFailure: 'open', keyBy: 'principal' };
    let bucket = emptyState(policy, Date.now());
    let asked = 0;
    const acquire: Acquire = async (request) => {
      asked++;
      const { state, grant } = takeLease(bucket, request.policy, Date.now(), request.want, request.leaseMs, request.reports);
      bucket = state;
      return grant;
    };
    const allowances = new Allowances();
    const background: Promise<unknown>[] = [];
    const decide = () => allowances.decide('user:user-00001', policy, acquire, (p) => background.push(p));
    expect((await decide()).allowed).toBe(true);
    expect((await decide()).source).toBe('lease');
    await Promise.all(background);
    const askedWarm = asked;
    freshIsolate();
    expect((await decide()).source).toBe('object');
    expect(asked).toBe(askedWarm + 1);
  });

  it('metric keys: a series recorded before and after the reset is still one series', () => {
    takeBatch();
    metrics.cacheLookup('isolate', 'hit');
    freshIsolate();
    metrics.cacheLookup('isolate', 'hit');
    const points = takeBatch()?.points.filter((p) => p.name === 'foyer_cache_lookups_total') ?? [];
    expect(points.map((p) => [p.labels, p.value])).toEqual([[{ layer: 'isolate', result: 'hit' }, 2]]);
  });
});
