import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../worker/app';
import { forgetRevocationsInIsolate } from '../../worker/auth/revocation';
import { resetTokenMemory } from '../../worker/auth/verify-token';
import { tokenFor } from '../helpers/auth';
import { seed } from '../helpers/seed';

const ORIGIN = 'http://foyer.test';

async function send(vars: Partial<Env>, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${ORIGIN}${path}`, { redirect: 'manual', ...init }), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const logout = (cookie: string) =>
  send({}, '/logout', { method: 'POST', headers: { Cookie: cookie, Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' } });

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
});

describe('finding 4: sessions', () => {
  it('outside local the cookie is __Host-foyer_session (Secure, Path=/, no Domain)', async () => {
    const res = await send({ ENVIRONMENT: 'dev' }, '/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
      body: 'user=alice',
    });
    const cookie = res.headers.get('Set-Cookie') ?? '';
    expect(cookie).toMatch(/^__Host-foyer_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(cookie).not.toMatch(/Domain=/i);
  });

  it('outside local only the __Host- cookie signs in; the bare name is ignored', async () => {
    const token = await tokenFor('alice');
    const staging = { ENVIRONMENT: 'staging', JWT_JWKS_URL: '' };
    expect((await send(staging, '/api/v1/tasks', { headers: { Cookie: `__Host-foyer_session=${token}` } })).status).toBe(200);
    expect((await send(staging, '/api/v1/tasks', { headers: { Cookie: `foyer_session=${token}` } })).status).toBe(401);
  });

  it('POST /logout revokes: the same cookie replayed afterwards gets 401', async () => {
    const cookie = `foyer_session=${await tokenFor('alice')}`;
    expect((await send({}, '/api/v1/tasks', { headers: { Cookie: cookie } })).status).toBe(200);
    const out = await logout(cookie);
    expect(out.status).toBe(303);
    const replay = await send({}, '/api/v1/tasks', { headers: { Cookie: cookie } });
    expect(replay.status).toBe(401);
    expect(replay.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
    // The page sends a replayed cookie back to /login.
    expect((await send({}, '/', { headers: { Cookie: cookie } })).headers.get('Location')).toBe('/login');
  });

  it('the revocation is shared through KV: another isolate (no memory of the logout) refuses it too', async () => {
    const token = await tokenFor('bob');
    await logout(`foyer_session=${token}`);
    resetTokenMemory();
    forgetRevocationsInIsolate();
    const replay = await send({}, '/api/v1/tasks', { headers: { Authorization: `Bearer ${token}` } });
    expect(replay.status).toBe(401);
    // Another session of the same user is unaffected.
    expect((await send({}, '/api/v1/tasks', { headers: { Authorization: `Bearer ${await tokenFor('bob', 'user', 1800)}` } })).status).toBe(
      200,
    );
  });

  it('the deny-list entry lives as long as the token, no longer', async () => {
    const token = await tokenFor('alice', 'user', 600);
    await logout(`foyer_session=${token}`);
    const { keys } = await env.CACHE.list({ prefix: 'revoked:' });
    expect(keys.length).toBeGreaterThan(0);
    const expirations = keys.map((k) => (k.expiration ?? 0) - Date.now() / 1000);
    for (const left of expirations) expect(left).toBeLessThanOrEqual(8 * 3600 + 120);
    expect(Math.min(...expirations)).toBeGreaterThan(59);
  });

  it('the demo /login needs DEMO_LOGIN = "on" as well as a local or dev ENVIRONMENT', async () => {
    expect((await send({ DEMO_LOGIN: 'on' }, '/login')).status).toBe(200);
    for (const DEMO_LOGIN of ['off', '', 'yes']) {
      const page = await send({ DEMO_LOGIN }, '/login');
      expect(page.status).toBe(404);
      const post = await send({ DEMO_LOGIN }, '/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
        body: 'user=alice',
      });
      expect(post.status).toBe(404);
      expect(post.headers.get('Set-Cookie')).toBeNull();
    }
    expect((await send({ ENVIRONMENT: 'production', DEMO_LOGIN: 'on' }, '/login')).status).toBe(404);
  });

  it('a malformed sign-in form is a 400 problem, not a 500 (found by the fuzz suite)', async () => {
    const res = await send({}, '/login', {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/form-data; boundary=x', Origin: ORIGIN },
      body: 'not multipart at all',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('Content-Type')).toMatch(/problem\+json/);
  });
});
