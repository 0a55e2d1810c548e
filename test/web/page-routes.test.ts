import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { PAGE_DATA_ID, type PageData } from '../../web/page-data';
import { app } from '../../worker/app';
import { fragmentCache } from '../../worker/cache/fragment-cache';
import { jsonForScript, SITE_DESCRIPTION } from '../../worker/html/document';
import { authHeaders, tokenFor } from '../helpers/auth';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

const ORIGIN = 'http://foyer.test';

beforeAll(async () => {
  await seed(env.DB);
});

async function session(userId = 'alice', role: 'user' | 'admin' = 'user') {
  return { Cookie: `foyer_session=${await tokenFor(userId, role)}` };
}

function embeddedData(html: string): PageData {
  const match = new RegExp(`<script type="application/json" id="${PAGE_DATA_ID}">(.*?)</script>`).exec(html);
  expect(match, 'the page embeds its data').not.toBeNull();
  return JSON.parse(match![1]!) as PageData;
}

function nonceOf(res: Response): string {
  const csp = res.headers.get('Content-Security-Policy') ?? '';
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  expect(nonce, `CSP has a nonce: ${csp}`).toBeTruthy();
  return nonce!;
}

/** Calls the app with other variables (e.g. ENVIRONMENT=production) than wrangler.toml's. */
async function callWith(vars: Partial<Env>, path: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${ORIGIN}${path}`, init), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe('GET /', () => {
  it('redirects to /login without a session, and clears a bad one', async () => {
    const none = await call('/', { redirect: 'manual' });
    expect(none.status).toBe(302);
    expect(none.headers.get('Location')).toBe('/login');

    const forged = await call('/', { redirect: 'manual', headers: { Cookie: 'foyer_session=not-a-jwt' } });
    expect(forged.status).toBe(302);
    expect(forged.headers.get('Set-Cookie')).toMatch(/foyer_session=;.*Max-Age=0/);
  });

  it("renders the viewer's real figures, the same data as the API, with a CSP nonce on every script", async () => {
    const res = await call('/', { headers: await session() });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('Cache-Control')).toBe('private, no-store');
    const nonce = nonceOf(res);
    const csp = res.headers.get('Content-Security-Policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain(`<meta name="description" content="${SITE_DESCRIPTION}">`);

    const data = embeddedData(html);
    const api = await call('/api/v1/intro-page/alice', { headers: await authHeaders('alice') });
    const page = await api.json<PageData['page']>();
    expect(data.viewer).toEqual({ userId: 'alice', role: 'user' });
    expect(data.page.sections.userStatistics).toEqual(page.sections.userStatistics);
    expect(html).toContain(`<dt>Open tasks</dt><dd>${page.sections.userStatistics!.openTasks}</dd>`);

    // Executable scripts: only the module entry, with this request's nonce; the data block is inert JSON.
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(2);
    expect(scripts.filter((s) => !s.includes('type="application/json"')).every((s) => s.includes(`nonce="${nonce}"`))).toBe(true);
    const manifest = await (await env.ASSETS.fetch('https://assets.local/asset-manifest.json')).json<{ script: string; style: string }>();
    expect(html).toContain(`<script type="module" src="${manifest.script}"`);
    expect(html).toContain(`<link rel="stylesheet" href="${manifest.style}">`);
    expect((await env.ASSETS.fetch(`https://assets.local${manifest.script}`)).status).toBe(200);
  });

  it('streams the shell before the sections when they are not in memory', async () => {
    // A new epoch for everyone: no isolate or KV copy applies, so the sections come from D1.
    await fragmentCache.purge(env, { scope: 'all' });
    const res = await call('/', { headers: await session() });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('<header class="topbar">');
    expect(first).toContain('class="loading-shell"');
    expect(first).not.toContain('id="main"');
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toContain('<main id="main"');
    expect(rest.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('sends a page whose sections are all in memory whole, without skeletons, in its saved theme', async () => {
    await call('/', { headers: await session() }); // fills this isolate
    const res = await call('/', { headers: { Cookie: `${(await session()).Cookie}; foyer_theme=junk` } });
    const html = await res.text();
    expect(html).toContain('<header class="topbar">');
    expect(html).toContain('<main id="main"');
    expect(html).not.toContain('class="loading-shell"');
    const api = await call('/api/v1/intro-page/alice', { headers: await authHeaders('alice') });
    const saved = (await api.json<{ sections: { personalization: { theme: string } } }>()).sections.personalization.theme;
    expect(html).toMatch(new RegExp(`^<!doctype html><html lang="en" data-theme="${saved}">`));
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('embeds hostile strings safely: a task title cannot close the script element', async () => {
    const title = '</script><script>alert(1)</script><!--';
    const created = await call(
      '/api/v1/tasks',
      json({ title, priority: 'high', dueAt: new Date(Date.now() - 3600_000).toISOString() }, await authHeaders('bob')),
    );
    expect(created.status).toBe(201);
    const html = await (await call('/', { headers: await session('bob') })).text();
    expect(html).not.toContain('<script>alert(1)');
    expect(embeddedData(html).page.sections.actionableItems?.some((i) => i.title === title)).toBe(true);
    expect(jsonForScript({ t: '</script>\u2028' })).toBe('{"t":"\\u003c/script\\u003e\\u2028"}');
  });

  it('applies saved preferences server-side: theme, order, locale', async () => {
    const patch = await call(
      '/api/v1/users/bob/preferences',
      json(
        { theme: 'dark', sectionOrder: ['activityFeed'], hiddenSections: ['systemOverview'], locale: 'de-DE' },
        await authHeaders('bob'),
        'PATCH',
      ),
    );
    expect(patch.status).toBe(200);
    const html = await (await call('/', { headers: await session('bob') })).text();
    expect(html).toContain('<main id="main" class="page" data-theme="dark"');
    expect(html.indexOf('data-slot="activityFeed"')).toBeLessThan(html.indexOf('data-slot="userStatistics"'));
    expect(html).toMatch(/data-slot="systemOverview"[^>]*hidden/);
  });

  it('paints a streamed shell in the theme hinted by the cookie, ignoring junk', async () => {
    const cookie = (await session()).Cookie;
    await fragmentCache.purge(env, { scope: 'user', userId: 'alice' }); // not in memory: streamed
    const dark = await (await call('/', { headers: { Cookie: `${cookie}; foyer_theme=dark` } })).text();
    expect(dark).toMatch(/^<!doctype html><html lang="en" data-theme="dark">/);
    await fragmentCache.purge(env, { scope: 'user', userId: 'alice' });
    const junk = await (await call('/', { headers: { Cookie: `${cookie}; foyer_theme="><script>` } })).text();
    expect(junk).toMatch(/^<!doctype html><html lang="en" data-theme="system">/);
  }, 20_000); // each purge waits out the isolates' 3 s purge-state lifetime (worker/cache/config.ts)
});

describe('/login and /logout', () => {
  it('lists the demo users', async () => {
    const res = await call('/login');
    expect(res.status).toBe(200);
    nonceOf(res);
    const html = await res.text();
    for (const id of ['alice', 'bob', 'ops']) expect(html).toContain(`name="user" value="${id}"`);
  });

  it('signs a demo user in with an HttpOnly, SameSite=Lax cookie the page accepts', async () => {
    const res = await call('/login', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
      body: 'user=ops',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/');
    const cookie = res.headers.get('Set-Cookie')!;
    expect(cookie).toMatch(/^foyer_session=[\w.-]+; Max-Age=28800; Path=\/; HttpOnly; SameSite=Lax$/);
    const page = await call('/', { headers: { Cookie: cookie.split(';')[0]! } });
    expect(embeddedData(await page.text()).viewer).toEqual({ userId: 'ops', role: 'admin' });
  });

  it('refuses unknown users and cross-site form posts', async () => {
    const unknown = await call('/login', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
      body: 'user=mallory',
    });
    expect(unknown.status).toBe(303);
    expect(unknown.headers.get('Location')).toBe('/login?error=unknown-user');
    expect(unknown.headers.get('Set-Cookie')).toBeNull();

    const crossSite = await call('/login', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://evil.example' },
      body: 'user=alice',
    });
    expect(crossSite.status).toBe(403);
  });

  it('sets a Secure cookie outside local', async () => {
    const res = await callWith({ ENVIRONMENT: 'dev' }, '/login', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
      body: 'user=alice',
    });
    expect(res.headers.get('Set-Cookie')).toMatch(/; Secure; SameSite=Lax$/);
  });

  it('is disabled in staging and production (404 problem)', async () => {
    for (const ENVIRONMENT of ['staging', 'production']) {
      const page = await callWith({ ENVIRONMENT }, '/login');
      expect(page.status).toBe(404);
      expect(page.headers.get('Content-Type')).toBe('application/problem+json');
      const post = await callWith({ ENVIRONMENT }, '/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
        body: 'user=alice',
      });
      expect(post.status).toBe(404);
      expect(post.headers.get('Set-Cookie')).toBeNull();
    }
  });

  it('POST /logout clears the cookie', async () => {
    const res = await call('/logout', { method: 'POST', redirect: 'manual', headers: { ...(await session()), Origin: ORIGIN } });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/login');
    expect(res.headers.get('Set-Cookie')).toMatch(/^foyer_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Lax$/);
  });
});

describe('GET /docs', () => {
  it('serves the explorer from our own assets, its inline script under the CSP nonce', async () => {
    const res = await call('/docs');
    expect(res.status).toBe(200);
    const nonce = nonceOf(res);
    const html = await res.text();
    expect(html).toContain('href="/vendor/swagger-ui-dist/swagger-ui.css"');
    expect(html).toContain('src="/vendor/swagger-ui-dist/swagger-ui-bundle.js"');
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.every((s) => s.includes(`nonce="${nonce}"`))).toBe(true);
    expect((await env.ASSETS.fetch('https://assets.local/vendor/swagger-ui-dist/swagger-ui-bundle.js')).status).toBe(200);
  });
});
