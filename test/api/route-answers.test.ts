import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { authHeaders } from '../helpers/auth';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

// Answers only one route gives, found missing by the operation × status matrix
// (.ci/results/api-matrix.md); the answers every route shares are in documented-answers.test.ts.

/**
 * A Durable Object namespace whose every object rejects every call, the way an object that
 * cannot be reached does: any RPC method and fetch. `then` stays undefined so awaiting the stub
 * itself is not mistaken for a promise.
 */
function unreachableObjects<T>(): T {
  const stub = new Proxy(
    {},
    { get: (_, prop) => (prop === 'then' ? undefined : () => Promise.reject(new Error('simulated object outage'))) },
  );
  return { idFromName: (name: string) => ({ name }), get: () => stub } as unknown as T;
}

async function problemOf(res: Response): Promise<{ detail: string; errors?: { path: string }[] }> {
  return res.json();
}

beforeAll(async () => {
  await seed(env.DB);
});

describe('400: a malformed path parameter is refused before any lookup', () => {
  it('GET /intro-page/{userId}/health names the bad user id', async () => {
    const res = await call('/api/v1/intro-page/NOT%20A%20USER/health', { headers: await authHeaders('ops', 'admin') });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors?.map((e) => e.path)).toEqual(['param.userId']);
  });

  it('DELETE /tasks/{id} names the bad task id and deletes nothing', async () => {
    const before = await env.DB.prepare("select count(*) as n from tasks where owner_id = 'alice'").first<{ n: number }>();
    const res = await call(`/api/v1/tasks/${'x'.repeat(65)}`, { method: 'DELETE', headers: await authHeaders('alice') });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors?.map((e) => e.path)).toEqual(['param.id']);
    const after = await env.DB.prepare("select count(*) as n from tasks where owner_id = 'alice'").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });
});

describe('503: the Durable Object behind a route is unreachable and there is nothing to serve', () => {
  it('GET /feed refuses the upgrade and says how to resume', async () => {
    const res = await call(
      '/api/v1/feed',
      { headers: { ...(await authHeaders('alice')), Upgrade: 'websocket' } },
      { env: { ACTIVITY_FEED: unreachableObjects<Env['ACTIVITY_FEED']>() } },
    );
    expect(res.status).toBe(503);
    expect(res.webSocket).toBeNull();
    expect((await problemOf(res)).detail).toMatch(/reconnect with \?after=/);
  });

  it('GET /metrics, when the metrics store does not answer', async () => {
    const res = await call(
      '/api/v1/metrics',
      { headers: await authHeaders('ops', 'admin') },
      { env: { METRICS: unreachableObjects<Env['METRICS']>() } },
    );
    expect(res.status).toBe(503);
    expect((await problemOf(res)).detail).toMatch(/metrics store did not answer/);
  });

  it('GET /admin/cache, when the cache coordinator does not answer', async () => {
    const res = await call(
      '/api/v1/admin/cache',
      { headers: await authHeaders('ops', 'admin') },
      { env: { CACHE_COORDINATOR: unreachableObjects<Env['CACHE_COORDINATOR']>() } },
    );
    expect(res.status).toBe(503);
    expect((await problemOf(res)).detail).toMatch(/cache coordinator is unreachable/);
  });
});
