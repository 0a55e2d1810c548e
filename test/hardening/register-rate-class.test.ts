import { env } from 'cloudflare:workers';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freshIsolate } from '../../worker/isolate';
import { authHeaders } from '../helpers/auth';
import { breakableObjects } from '../helpers/broken-bindings';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

const limiter = breakableObjects(env.RATE_LIMITER, 'RateLimiter');
let admin: Record<string, string>;

const userExists = async (id: string) => (await env.DB.prepare('select id from users where id = ?').bind(id).first()) !== null;

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  admin = await authHeaders('ops', 'admin');
});

// A fresh isolate each time: a lease taken by an earlier request would serve the next without asking the limiter.
beforeEach(() => freshIsolate());

describe('finding 12: POST /api/v1/users is limited in the admin class, which fails closed', () => {
  it('counts against the admin class (RateLimit-Policy names it)', async () => {
    const res = await call('/api/v1/users', json({ id: 'class-check', displayName: 'Class Check' }, admin), {
      env: { RATE_LIMITER: limiter.binding },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('RateLimit-Policy')).toMatch(/^"admin";/);
  });

  it('with the RateLimiter down it answers 503 with Retry-After and registers nobody', async () => {
    limiter.mode = 'down';
    try {
      const res = await call('/api/v1/users', json({ id: 'limiter-down', displayName: 'Limiter Down' }, admin), {
        env: { RATE_LIMITER: limiter.binding },
      });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
      expect(await userExists('limiter-down')).toBe(false);
    } finally {
      limiter.mode = 'up';
    }
  });

  it("a user's own writes stay in the write class (fail open): PATCH preferences", async () => {
    const res = await call('/api/v1/users/alice/preferences', json({ theme: 'dark' }, await authHeaders('alice'), 'PATCH'));
    expect(res.status).toBe(200);
    expect(res.headers.get('RateLimit-Policy')).toMatch(/^"write";/);
  });
});
