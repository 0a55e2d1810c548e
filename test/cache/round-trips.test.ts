import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { fragmentCache } from '../../worker/cache/fragment-cache';
import { PURGE_STATE_KEY } from '../../worker/cache/protocol';
import { flagSnapshots } from '../../worker/flags/snapshot-store';
import { authHeaders } from '../helpers/auth';
import { guardD1 } from '../helpers/d1-guard';
import { call } from '../helpers/http';
import { guardKv } from '../helpers/kv-guard';
import { seed } from '../helpers/seed';

/**
 * One token per user, as a real client keeps: verifying a token the isolate has not seen costs
 * one KV read (the logout deny-list, worker/auth/revocation.ts) once per token and isolate,
 * which is auth's cost, not the page's.
 */
const tokens = new Map<string, Record<string, string>>();
async function headersOf(userId: string) {
  if (!tokens.has(userId)) tokens.set(userId, await authHeaders(userId));
  return tokens.get(userId) as Record<string, string>;
}

/**
 * One page load with both bindings wrapped: how many round trips did it cost? The purge-state
 * read is counted apart (`purgeStateReads`): it belongs to the isolate (one every 500 ms while
 * it serves, in the background), not to the page.
 */
async function roundTrips(userId: string) {
  const d1 = guardD1(env.DB);
  const kv = guardKv(env.CACHE);
  let purgeStateReads = 0;
  const pageKv = new Proxy(kv.kv, {
    get(target, prop) {
      if (prop !== 'get') return Reflect.get(target, prop);
      return (key: unknown, ...rest: unknown[]) => {
        if (key !== PURGE_STATE_KEY) return (target.get as (...a: unknown[]) => unknown)(key, ...rest);
        purgeStateReads++;
        return (env.CACHE.get as (...a: unknown[]) => unknown).call(env.CACHE, key, ...rest);
      };
    },
  });
  const res = await call(`/api/v1/intro-page/${userId}`, { headers: await headersOf(userId) }, { env: { DB: d1.db, CACHE: pageKv } });
  expect(res.status).toBe(200);
  return {
    d1: d1.trace.roundTrips,
    kv: kv.trace.roundTrips,
    kvReads: kv.trace.reads,
    purgeStateReads,
    status: res.headers.get('Cache-Status'),
  };
}

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 3 });
  // These count the fragment cache's round trips: hold the flag snapshot (its one KV read per
  // isolate and TTL is counted in test/flags/snapshot-store.test.ts) for the whole file.
  flagSnapshots.ttlMs = 3_600_000;
  await flagSnapshots.refresh(env);
});

describe('round trips per page', () => {
  it('cold: one D1 batch per fragment; warm in the isolate: none; warm in KV only: one KV read and no D1', async () => {
    const cold = await roundTrips('user-00001');
    expect(cold.d1).toBe(2); // the personal bundle and the shared fragment, one batch each

    const isolate = await roundTrips('user-00001');
    expect(isolate).toMatchObject({ d1: 0, kv: 0 });

    fragmentCache.reset(); // the next request lands in an isolate that holds nothing
    const kvOnly = await roundTrips('user-00001');
    // A fresh isolate first reads the purge state (an isolate's cost, not the page's), then
    // personal + shared in one bulk get.
    expect(kvOnly).toMatchObject({ d1: 0, kv: 1, kvReads: 1, purgeStateReads: 1 });
    console.log(JSON.stringify({ roundTripsPerPage: { cold, isolate, kvOnly } }));
  });

  it('warm isolate, shared fragment hot, new user in KV: one KV read', async () => {
    await roundTrips('user-00002');
    fragmentCache.reset();
    await roundTrips('user-00003'); // brings the shared fragment into this isolate
    const kvOnly = await roundTrips('user-00002');
    expect(kvOnly).toMatchObject({ d1: 0, kv: 1 });
  });
});
