import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { USER_ID_MESSAGE } from '../../worker/auth/principal';
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

  it('carries the display name the person registered with', async () => {
    const res = await call('/api/v1/intro-page/alice', { headers: await authHeaders('alice') });
    const page = await res.json<{ sections: { personalization: { displayName: string } } }>();
    expect(page.sections.personalization.displayName).toBe('Alice Archer');
  });
});

describe('GET /api/v1/intro-page/:userId with a malformed user id', () => {
  // The served route checks the id without zod (worker/routes/intro-page.ts, userIdParam); the
  // health route beside it still validates through the documented schema. Both must answer alike.
  it.each([['NOT..valid'], ['Alice'], ['-alice'], [`a${'b'.repeat(64)}`], ['al%20ice'], ['al%C3%A9']])(
    'answers %s with the 400 the documented schema gives',
    async (id) => {
      const admin = await authHeaders('ops', 'admin');
      const res = await call(`/api/v1/intro-page/${id}`, { headers: admin });
      expect(res.status).toBe(400);
      const problem = await res.json<{ errors: unknown }>();
      const viaSchema = await call(`/api/v1/intro-page/${id}/health`, { headers: admin });
      expect(viaSchema.status).toBe(400);
      expect(problem.errors).toEqual((await viaSchema.json<{ errors: unknown }>()).errors);
      expect(problem.errors).toEqual([{ path: 'param.userId', message: USER_ID_MESSAGE }]);
    },
  );

  it('checks the token before the id, as the validator did: no token is a 401', async () => {
    const res = await call('/api/v1/intro-page/NOT..valid');
    expect(res.status).toBe(401);
  });
});
