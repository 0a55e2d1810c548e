import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { authHeaders } from '../helpers/auth';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

let alice: Record<string, string>;

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  alice = await authHeaders('alice');
});

describe('finding 8: API responses say what they are and who may keep them', () => {
  const cases: [string, () => Promise<Response>][] = [
    ['a task list', () => call('/api/v1/tasks', { headers: alice })],
    ['a created task', () => call('/api/v1/tasks', json({ title: 'Headers' }, alice))],
    ['a preference change', () => call('/api/v1/users/alice/preferences', json({ theme: 'light' }, alice, 'PATCH'))],
    ['the intro page', () => call('/api/v1/intro-page/alice', { headers: alice })],
    ['a 401', () => call('/api/v1/tasks')],
    ['a 404', () => call('/api/v1/nothing-here', { headers: alice })],
    ['a 400', () => call('/api/v1/tasks?status=maybe', { headers: alice })],
  ];
  for (const [name, send] of cases) {
    it(`${name} carries nosniff and a private Cache-Control`, async () => {
      const res = await send();
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
      const cacheControl = res.headers.get('Cache-Control') ?? '';
      // Personal data: never in a shared cache; either not stored, or stored only to revalidate by ETag.
      expect(cacheControl).toMatch(/no-store|private, no-cache/);
      if (cacheControl.includes('no-cache')) expect(res.headers.get('ETag')).toBeTruthy();
    });
  }

  it("a problem's title matches its status (a cross-site form POST is 403 Forbidden, not 'Bad request')", async () => {
    const res = await call('/logout', {
      method: 'POST',
      headers: { Origin: 'https://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(res.status).toBe(403);
    expect((await res.json<{ title: string }>()).title).toBe('Forbidden');
  });

  it('a body that is not JSON is a 400 titled Bad request', async () => {
    const res = await call('/api/v1/tasks', { method: 'POST', headers: { ...alice, 'Content-Type': 'application/json' }, body: '{' });
    expect(res.status).toBe(400);
    expect((await res.json<{ title: string }>()).title).toMatch(/Bad request|Invalid request/);
  });
});
