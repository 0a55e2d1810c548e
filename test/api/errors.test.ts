import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { authHeaders } from '../helpers/auth';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

let alice: Record<string, string>;
beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  alice = await authHeaders('alice');
});

describe('errors are RFC 9457 problem documents (checked by the call helper on every error in the suite)', () => {
  it('404 for an unknown route', async () => {
    const res = await call('/api/v1/nope');
    expect(res.status).toBe(404);
    expect((await res.json<{ detail: string }>()).detail).toContain('openapi.json');
  });

  it('405 with Allow for a known route and the wrong method', async () => {
    const res = await call('/api/v1/tasks', { method: 'PUT', headers: { ...alice, 'Content-Type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toContain('POST');
  });

  // hono/method-not-allowed's Allow list, in a problem document (worker/app.ts).
  it.each([
    ['PUT', '/api/v1/tasks', 'GET, HEAD, POST'],
    ['GET', '/api/v1/tasks/00000000-0000-4000-8000-000000000000', 'PATCH, DELETE'],
    ['DELETE', '/api/v1/intro-page/alice', 'GET, HEAD'],
    ['POST', '/api/v1/openapi.json', 'GET, HEAD'],
  ])('405 for %s %s: Allow %s, the limiter and API headers, the problem document', async (method, path, allow) => {
    const init: RequestInit = { method, headers: { ...alice, 'Content-Type': 'application/json' } };
    if (method !== 'GET') init.body = '{}';
    const res = await call(path, init);
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toBe(allow);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(res.headers.get('RateLimit-Policy')).toMatch(/^"/);
    expect(res.headers.get('RateLimit')).toMatch(/^"/);
    expect(res.headers.get('X-Request-Id')).toBeTruthy();
    const problem = await res.json<{ status: number; detail: string; instance: string }>();
    expect(problem.status).toBe(405);
    expect(problem.detail).toBe(`This route accepts ${allow}.`);
    expect(problem.instance).toBe(res.headers.get('X-Request-Id'));
  });

  it('404, not 405, for a path no route answers with any method', async () => {
    const res = await call('/api/v1/nope', { method: 'DELETE', headers: alice });
    expect(res.status).toBe(404);
    expect(res.headers.get('Allow')).toBeNull();
  });

  it('HEAD on a GET route is answered, never a 405', async () => {
    const res = await call('/api/v1/openapi.json', { method: 'HEAD' });
    expect(res.status).toBe(200);
  });

  it('415 for a body that is not JSON', async () => {
    const res = await call('/api/v1/tasks', { method: 'POST', headers: { ...alice, 'Content-Type': 'text/plain' }, body: 'title=x' });
    expect(res.status).toBe(415);
  });

  it('400 for malformed JSON', async () => {
    const res = await call('/api/v1/tasks', {
      method: 'POST',
      headers: { ...alice, 'Content-Type': 'application/json' },
      body: '{"title":',
    });
    expect(res.status).toBe(400);
  });

  it('413 for a body over the limit, before it is parsed', async () => {
    const body = JSON.stringify({ title: 'x'.repeat(70 * 1024) });
    const res = await call('/api/v1/tasks', { method: 'POST', headers: { ...alice, 'Content-Type': 'application/json' }, body });
    expect(res.status).toBe(413);
  });
});

describe('x-request-id', () => {
  it('is kept when the caller sends a sane one', async () => {
    const res = await call('/api/v1/nope', { headers: { 'X-Request-Id': 'trace-abc_123' } });
    expect(res.headers.get('X-Request-Id')).toBe('trace-abc_123');
    expect((await res.json<{ instance: string }>()).instance).toBe('trace-abc_123');
  });

  it('is replaced when the caller sends something unsafe', async () => {
    const res = await call('/api/v1/nope', { headers: { 'X-Request-Id': '<script>alert(1)</script>' } });
    expect(res.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is on successful responses too', async () => {
    const res = await call('/api/v1/intro-page/alice', { headers: alice });
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Request-Id')).toBeTruthy();
  });
});

describe('internal failures leak nothing', () => {
  it('a D1 failure on a write is a bare problem without SQL, stack or driver text', async () => {
    const broken = {
      prepare: () => {
        throw new Error('D1_ERROR: no such table: tasks: SQLITE_ERROR at select * from tasks');
      },
      // Its sessions (worker/db/sessions.ts) are as broken as it is.
      withSession: () => broken,
    } as unknown as D1Database;
    const res = await call('/api/v1/tasks', { headers: alice }, { env: { DB: broken } });
    expect(res.status).toBeGreaterThanOrEqual(500);
    const text = await res.text();
    expect(text).not.toMatch(/SQLITE|no such table|select/i);
  });
});
