import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { linePoints } from '../../web/admin/charts';
import { app } from '../../worker/app';
import { tokenFor } from '../helpers/auth';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

beforeAll(async () => {
  await seed(env.DB);
});

const cookie = async (userId: string, role: 'user' | 'admin' = 'user') => ({ Cookie: `foyer_session=${await tokenFor(userId, role)}` });

describe('GET /admin', () => {
  it('sends a visitor without a session to /login', async () => {
    const res = await call('/admin', { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toBe('/login');
  });

  it('treats an expired or forged session like no session', async () => {
    const res = await call('/admin', { headers: { Cookie: 'foyer_session=not.a.jwt' }, redirect: 'manual' });
    expect(res.status).toBe(302);
  });

  it('answers a signed-in non-admin with a 403 page in a browser, problem+json otherwise', async () => {
    const api = await call('/admin', { headers: await cookie('alice') });
    expect(api.status).toBe(403);
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request('http://foyer.test/admin', { headers: { ...(await cookie('alice')), Accept: 'text/html,application/xhtml+xml' } }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(403);
    expect(res.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('Operators only');
    expect(html).not.toContain('Latency p95');
  });

  it('renders health, latency, cache hit rate, feed connections and charts for an admin, by cookie or bearer', async () => {
    await call('/api/v1/health');
    for (const headers of [await cookie('ops', 'admin'), { Authorization: `Bearer ${await tokenFor('ops', 'admin')}` }]) {
      const res = await call('/admin', { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      const html = await res.text();
      expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true);
      for (const text of [
        'Health: <span data-h="status">',
        'Latency p95',
        'Cache hit rate',
        'Feed connections open',
        'Requests per minute',
      ]) {
        expect(html).toContain(text);
      }
      expect(html).toMatch(/data-check="checks.d1" data-status="(ok|slow)"/);
      expect(html.match(/<svg /g)?.length).toBe(3);
      expect(html).toContain('<td>GET /api/v1/health</td>');
    }
  });

  it('sends a CSP whose per-request nonce is the only way scripts and styles run', async () => {
    const nonces: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await call('/admin', { headers: await cookie('ops', 'admin') });
      const csp = res.headers.get('Content-Security-Policy') ?? '';
      const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1] ?? '';
      expect(nonce.length).toBeGreaterThanOrEqual(16);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain(`style-src 'nonce-${nonce}'`);
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      const html = await res.text();
      const scripts = html.match(/<script[^>]*>/g) ?? [];
      expect(scripts).toEqual([`<script nonce="${nonce}">`]);
      expect(html.match(/<style[^>]*>/g)).toEqual([`<style nonce="${nonce}">`]);
      expect(html).not.toMatch(/ on[a-z]+=/);
      nonces.push(nonce);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
  });

  it('keeps the live script small and pointed at the two operations endpoints', async () => {
    const html = await (await call('/admin', { headers: await cookie('ops', 'admin') })).text();
    const script = /<script nonce="[^"]+">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(script).toContain("fetch('/api/v1/metrics?minutes=30'");
    expect(script).toContain("fetch('/api/v1/health'");
    expect(script.length).toBeLessThan(8192); // the live script (under 4 KiB) and the flags panel's
    expect(script).not.toContain('innerHTML');
  });
});

describe('linePoints', () => {
  it('scales to the box, caps at max and skips missing minutes', () => {
    expect(linePoints([0, 0.5, 1], 1)).toBe('0.0,80.0 150.0,40.0 300.0,0.0');
    expect(linePoints([null, 2, 5], 1)).toBe('150.0,0.0 300.0,0.0');
    expect(linePoints([100], undefined, 200)).toBe('0.0,40.0 0.0,40.0');
    expect(linePoints([null, null], 1)).toBe('');
  });
});
