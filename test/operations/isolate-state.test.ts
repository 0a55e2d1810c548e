import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { fragmentCache } from '../../worker/cache/fragment-cache';
import { resetIsolateState } from '../../worker/isolate-state';
import { authHeaders } from '../helpers/auth';
import { guardD1 } from '../helpers/d1-guard';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 1 });
});

async function pageRoundTrips(userId: string): Promise<number> {
  const d1 = guardD1(env.DB);
  const res = await call(`/api/v1/intro-page/${userId}`, { headers: await authHeaders(userId) }, { env: { DB: d1.db } });
  expect(res.status).toBe(200);
  return d1.trace.roundTrips;
}

describe('resetIsolateState', () => {
  it('forgets what the isolate learned: the next page is read as a fresh isolate would read it', async () => {
    const write = await call('/api/v1/tasks', {
      method: 'POST',
      headers: { ...(await authHeaders('user-00001')), 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'isolate state' }),
    });
    expect(write.status).toBe(201);
    await pageRoundTrips('user-00001');
    expect(await pageRoundTrips('user-00001')).toBe(0); // warm in this isolate
    expect(fragmentCache.knownVersion('user-00001')).toBeGreaterThan(0);

    resetIsolateState();

    expect(fragmentCache.isolateEntries).toBe(0);
    expect(fragmentCache.knownVersion('user-00001')).toBe(0);
    expect(fragmentCache.currentPurgeState()).toBeUndefined();
  });
});
