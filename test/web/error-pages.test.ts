import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../../worker/app';
import { SITE_DESCRIPTION } from '../../worker/html/document';
import { failing } from '../helpers/broken-env';
import { D1_OUTAGE_MESSAGES } from '../helpers/d1-outage';
import { expectProblem } from '../helpers/http';

const ORIGIN = 'http://foyer.test';
/** What Chromium sends when a person navigates to a page. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

/** Straight through the app: helpers/http's `call` insists every error is problem+json. */
async function fetchApp(path: string, init: RequestInit = {}, vars: Partial<Env> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${ORIGIN}${path}`, init), { ...env, ...vars } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** The checks every HTML error page must pass; returns its markup. */
async function expectErrorPage(res: Response, status: number): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('Cache-Control')).toBe('no-store');
  expect(res.headers.get('Vary')).toBe('Accept');
  // Its own policy, or the route's when the route ran (/login): strict either way.
  const csp = res.headers.get('Content-Security-Policy') ?? '';
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  const html = await res.text();
  expect(html).toMatch(/^<!doctype html><html lang="en"/);
  expect(html).toContain(`<p class="muted error-status">Error ${status} · `);
  // The way home, and the request id a person can quote: the same as the header's.
  expect(html).toContain('<a class="btn btn-primary" href="/">Go to your page</a>');
  const shown = /<code class="request-id">([^<]+)<\/code>/.exec(html)?.[1];
  expect(shown).toBeTruthy();
  expect(shown).toBe(res.headers.get('X-Request-Id'));
  // In the page's design: its own stylesheet, light or dark with the OS; no script at all.
  const manifest = await (await env.ASSETS.fetch('https://assets.local/asset-manifest.json')).json<{ style: string }>();
  expect(html).toContain(`<link rel="stylesheet" href="${manifest.style}">`);
  expect(html).toContain('<meta name="color-scheme" content="light dark">');
  expect(html).not.toContain('<script');
  return html;
}

describe('a browser asking for a missing page gets a page, not problem+json', () => {
  it('404 for /no-such-page with Accept text/html: the status, a link home and the request id', async () => {
    const res = await fetchApp('/no-such-page', { headers: { Accept: BROWSER_ACCEPT } });
    const html = await expectErrorPage(res, 404);
    expect(html).toContain('<h1>Page not found</h1>');
    expect(html).toContain('There is no page at /no-such-page.');
  });

  it('shows the request id the caller sent, as the header does', async () => {
    const res = await fetchApp('/no-such-page', { headers: { Accept: 'text/html', 'X-Request-Id': 'support-ticket-42' } });
    expect(res.headers.get('X-Request-Id')).toBe('support-ticket-42');
    expect(await expectErrorPage(res, 404)).toContain('<code class="request-id">support-ticket-42</code>');
  });

  it('escapes the path it repeats', async () => {
    const html = await expectErrorPage(await fetchApp('/%3Cimg%20src=x%3E', { headers: { Accept: 'text/html' } }), 404);
    expect(html).not.toContain('<img');
  });

  it('keeps a 404 of a page that exists elsewhere (/login outside local and dev) a page, with its reason', async () => {
    const res = await fetchApp('/login', { headers: { Accept: BROWSER_ACCEPT } }, { ENVIRONMENT: 'production' });
    expect(await expectErrorPage(res, 404)).toContain('elsewhere sign in with your identity provider');
  });
});

describe('5xx for a browser is a page too', () => {
  const signIn = {
    method: 'POST',
    headers: { Accept: BROWSER_ACCEPT, 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
  };

  it('500 when something breaks, with no internals on it', async () => {
    const res = await fetchApp('/login', { ...signIn, body: 'user=alice' }, { DB: failing.d1('kaput: select * from users') });
    const html = await expectErrorPage(res, 500);
    expect(html).toContain('<h1>Something went wrong</h1>');
    expect(html).not.toContain('kaput');
  });

  it('503 with Retry-After when the database is down', async () => {
    const res = await fetchApp('/login', { ...signIn, body: 'user=alice' }, { DB: failing.d1(D1_OUTAGE_MESSAGES.network) });
    expect(res.headers.get('Retry-After')).toBe('5');
    expect(await expectErrorPage(res, 503)).toContain('<h1>Foyer is unavailable right now</h1>');
  });
});

describe('API clients and /api/* keep problem+json', () => {
  for (const accept of ['application/json', 'application/problem+json', '*/*', undefined]) {
    it(`404 for /no-such-page with Accept ${accept ?? '(none)'}`, async () => {
      const res = await fetchApp('/no-such-page', { headers: accept ? { Accept: accept } : {} });
      expect(res.status).toBe(404);
      await expectProblem(res);
      expect(await res.json()).toMatchObject({ status: 404, title: 'Not found', instance: res.headers.get('X-Request-Id') });
    });
  }

  it('an /api/ path asked for as HTML still answers problem+json', async () => {
    const res = await fetchApp('/api/v1/no-such-route', { headers: { Accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(404);
    await expectProblem(res);
  });

  it('a 500 asked for as JSON is problem+json', async () => {
    const res = await fetchApp(
      '/login',
      {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
        body: 'user=alice',
      },
      { DB: failing.d1() },
    );
    expect(res.status).toBe(500);
    await expectProblem(res);
  });
});

describe('the public pages describe themselves', () => {
  it('/login carries <meta name="description">', async () => {
    const html = await (await fetchApp('/login')).text();
    expect(html).toContain(`<meta name="description" content="${SITE_DESCRIPTION}">`);
  });
});
