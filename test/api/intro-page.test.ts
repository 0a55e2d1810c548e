import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { authHeaders } from '../helpers/auth';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

beforeAll(async () => {
  await seed(env.DB);
});

describe('GET /api/v1/intro-page/:userId', () => {
  it('answers the owner with every section of the contract', async () => {
    const res = await call('/api/v1/intro-page/alice', { headers: await authHeaders('alice') });
    expect(res.status).toBe(200);
    const page = await res.json<{ userId: string; sections: Record<string, unknown>; degraded: string[] }>();
    expect(page.userId).toBe('alice');
    expect(Object.keys(page.sections).sort()).toEqual([
      'actionableItems',
      'activityFeed',
      'personalization',
      'systemOverview',
      'userStatistics',
    ]);
    expect(page.degraded).toEqual([]);
  });
});
