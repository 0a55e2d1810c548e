import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../worker/auth/session-cookie';
import { authHeaders, tokenFor } from '../helpers/auth';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

/** The worker's own origin in the suite (test/helpers/http.ts calls http://foyer.test). */
const OWN = 'http://foyer.test';
let cookie: Record<string, string>;

const taskCount = async () => (await env.DB.prepare("select count(*) as n from tasks where owner_id = 'alice'").first<{ n: number }>())!.n;

function create(credential: Record<string, string>, browser: Record<string, string>): Promise<Response> {
  return call('/api/v1/tasks', {
    method: 'POST',
    headers: { ...credential, ...browser, 'Content-Type': 'application/json' },
    body: JSON.stringify({ title: 'From somewhere' }),
  });
}

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  cookie = { Cookie: `${SESSION_COOKIE}=${await tokenFor('alice')}` };
});

describe('finding 10: a cookie-authenticated write from another site is refused', () => {
  const refused: [string, Record<string, string>][] = [
    ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site (a sibling subdomain; SameSite=Lax lets its cookie through)', { 'Sec-Fetch-Site': 'same-site' }],
    ['an Origin of another site', { Origin: 'https://evil.example' }],
    ['an Origin of the same host on another scheme', { Origin: 'https://foyer.test' }],
    ['Origin: null (a sandboxed frame, a redirect)', { Origin: 'null' }],
    ['a same-origin Sec-Fetch-Site with a foreign Origin', { 'Sec-Fetch-Site': 'same-origin', Origin: 'https://evil.example' }],
  ];
  for (const [name, browser] of refused) {
    it(`POST /tasks with ${name}: 403 problem, nothing written`, async () => {
      const before = await taskCount();
      const res = await create(cookie, browser);
      expect(res.status).toBe(403);
      expect((await res.json<{ detail: string }>()).detail).toMatch(/from another site/);
      expect(await taskCount()).toBe(before);
    });
  }

  it('PATCH, DELETE and the preferences PATCH are refused the same way', async () => {
    const headers = { ...cookie, 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'application/json' };
    const patch = await call('/api/v1/tasks/alice-task-3', { method: 'PATCH', headers, body: JSON.stringify({ title: 'x' }) });
    const del = await call('/api/v1/tasks/alice-task-3', { method: 'DELETE', headers: { ...cookie, Origin: 'https://evil.example' } });
    const prefs = await call('/api/v1/users/alice/preferences', { method: 'PATCH', headers, body: JSON.stringify({ theme: 'dark' }) });
    expect([patch.status, del.status, prefs.status]).toEqual([403, 403, 403]);
    const row = await env.DB.prepare("select title from tasks where id = 'alice-task-3'").first<{ title: string }>();
    expect(row?.title).toBe('Review Q4 roadmap');
  });

  const accepted: [string, Record<string, string>][] = [
    ['Sec-Fetch-Site: same-origin and its own Origin (the page)', { 'Sec-Fetch-Site': 'same-origin', Origin: OWN }],
    ['Sec-Fetch-Site: none (typed by the user)', { 'Sec-Fetch-Site': 'none' }],
    ['neither header (a program, an old browser)', {}],
  ];
  for (const [name, browser] of accepted) {
    it(`POST /tasks with the cookie and ${name}: 201`, async () => {
      expect((await create(cookie, browser)).status).toBe(201);
    });
  }

  it('a bearer token is not checked: a program may call from anywhere', async () => {
    const res = await create(await authHeaders('alice'), { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' });
    expect(res.status).toBe(201);
  });

  it('reads with the cookie are not refused (GET is safe)', async () => {
    const res = await call('/api/v1/tasks', { headers: { ...cookie, 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' } });
    expect(res.status).toBe(200);
  });
});
