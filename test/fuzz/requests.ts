import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { expect } from 'vitest';
import { app } from '../../worker/app';
import { tokenFor } from '../helpers/auth';

/**
 * Generated requests for the fuzz suites: methods, paths (known routes, traversal, encoded NUL,
 * 5 KB query strings), headers, cookies, tokens, content types and bodies (invalid JSON, 100 KB
 * strings, lone surrogates, `__proto__`). Each goes through the whole app with real bindings.
 */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface Credentials {
  alice: string;
  ops: string;
  expired: string;
}

export async function credentials(): Promise<Credentials> {
  return { alice: await tokenFor('alice'), ops: await tokenFor('ops', 'admin'), expired: await tokenFor('alice', 'user', -120) };
}

const ROUTES = [
  '/',
  '/login',
  '/logout',
  '/admin',
  '/docs',
  '/api/v1/health',
  '/api/v1/metrics',
  '/api/v1/openapi.json',
  '/api/v1/intro-page/alice',
  '/api/v1/intro-page/alice/health',
  '/api/v1/intro-page/bob',
  '/api/v1/tasks',
  '/api/v1/tasks/alice-task-1',
  '/api/v1/tasks/alice-task-3',
  '/api/v1/users/alice/preferences',
  '/api/v1/users/bob/preferences',
  '/api/v1/feed',
  '/api/v1/admin/cache',
  '/api/v1/admin/cache/purge',
  '/api/v1/admin/cache/warm',
];

const segment = fc.oneof(
  fc.constantFrom(
    '..',
    '.',
    '%2e%2e',
    '%2E%2E%2F',
    '%00',
    '%ff',
    '%c0%af',
    'alice',
    'ALICE',
    '__proto__',
    'constructor',
    '\u00e9',
    '%F0%9F%98%80',
  ),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);

const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ROUTES) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...ROUTES), fc.array(segment, { maxLength: 3 })).map(([r, s]) => [r, ...s].join('/')) },
  { weight: 1, arbitrary: fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`) },
  { weight: 1, arbitrary: fc.constantFrom(...ROUTES).map((r) => `${r}/..%2f..%2fetc%2fpasswd`) },
);

const query = fc.oneof(
  { weight: 5, arbitrary: fc.constant('') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('?status=open', '?status=maybe', '?limit=-1', '?limit=1e9', '?after=1', '?format=prometheus', '?debug=1'),
  },
  { weight: 1, arbitrary: fc.constant(`?q=${'x'.repeat(5 * 1024)}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => `?${encodeURIComponent(s)}=${encodeURIComponent(s)}&%00=1`) },
);

const jsonBody = fc.oneof(
  fc.record(
    { title: fc.oneof(fc.string({ maxLength: 30 }), fc.constant('\uD800lone'), fc.constant('x'.repeat(100 * 1024))) },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      title: fc.string({ maxLength: 20 }),
      priority: fc.constantFrom('low', 'normal', 'high', 'urgent', 1),
      dueAt: fc.constantFrom('2026-12-01T09:00:00Z', 'tomorrow', null, 12),
      status: fc.constantFrom('open', 'done', 'nope'),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    { theme: fc.constantFrom('light', 'dark', 'system', 'neon'), hiddenSections: fc.array(fc.string({ maxLength: 16 }), { maxLength: 3 }) },
    { requiredKeys: [] },
  ),
  fc.record(
    { scope: fc.constantFrom('all', 'user', 'section', 'bogus'), userId: fc.constantFrom('alice', '../x'), top: fc.integer() },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

const body = fc.oneof(
  { weight: 5, arbitrary: jsonBody.map((v) => JSON.stringify(v)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{',
      '{"title":',
      'null',
      '[]',
      '"\\ud800"',
      '{"__proto__":{"admin":true},"title":"p"}',
      '{"constructor":{"prototype":{"x":1}}}',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.constant(`{"title":"${'y'.repeat(100 * 1024)}"}`) },
);

function authorization(creds: Credentials) {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fc.constantFrom(`Bearer ${creds.alice}`, `Bearer ${creds.ops}`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        `Bearer ${creds.expired}`,
        'Bearer ',
        'Bearer a.b.c',
        `Basic ${btoa('alice:pw')}`,
        `Bearer ${creds.alice.slice(0, -5)}`,
        `Bearer ${'A'.repeat(9000)}`,
        'bearer\u0000x',
      ),
    },
  );
}

function cookie(creds: Credentials) {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        `foyer_session=${creds.alice}`,
        `foyer_session=garbage; foyer_v=alice.99999999999`,
        'foyer_v=alice.1',
        '=;;=;',
      ),
    },
  );
}

/** Mostly well-formed writes with a small twist, so accepted writes (and the D1 invariant) get exercised. */
function wellFormedWrite(creds: Credentials): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      route: fc.constantFrom(
        ['POST', '/api/v1/tasks'],
        ['PATCH', '/api/v1/tasks/alice-task-1'],
        ['PATCH', '/api/v1/users/alice/preferences'],
        ['PATCH', '/api/v1/users/bob/preferences'],
        ['DELETE', '/api/v1/tasks/no-such-task'],
      ),
      title: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constant('\uD800'), fc.constant('__proto__')),
      theme: fc.constantFrom('light', 'dark', 'system', 'neon'),
      proto: fc.boolean(),
    })
    .map(({ route: [method, path], title, theme, proto }) => {
      const value: Record<string, unknown> = path.includes('preferences') ? { theme } : { title };
      const body = proto ? JSON.stringify(value).replace(/^\{/, '{"__proto__":{"role":"admin"},') : JSON.stringify(value);
      return {
        method: method as string,
        path: path as string,
        headers: { Authorization: `Bearer ${creds.alice}`, 'Content-Type': 'application/json' },
        body: method === 'DELETE' ? undefined : body,
      };
    });
}

export function fuzzRequest(creds: Credentials): fc.Arbitrary<FuzzRequest> {
  return fc.oneof({ weight: 1, arbitrary: wellFormedWrite(creds) }, { weight: 6, arbitrary: chaos(creds) });
}

function chaos(creds: Credentials): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND'),
      path,
      query,
      authorization: authorization(creds),
      cookie: cookie(creds),
      contentType: fc.constantFrom(
        undefined,
        'application/json',
        'application/json; charset=utf-8',
        'application/problem+json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json\u0000',
      ),
      accept: fc.constantFrom(undefined, 'text/html', 'application/json', '*/*', 'text/plain'),
      origin: fc.constantFrom(undefined, 'http://foyer.test', 'https://evil.example'),
      version: fc.constantFrom(undefined, '1', '999999999999999', '-1', 'abc'),
      requestId: fc.constantFrom(undefined, 'abc-123', 'x'.repeat(300), '<script>'),
      body,
    })
    .map((r) => {
      const headers: Record<string, string> = {};
      const set = (name: string, value: string | undefined) => {
        // A header value with NUL, CR or LF cannot be sent (fetch refuses it); leave the header out.
        if (value !== undefined && !['\0', '\r', '\n'].some((c) => value.includes(c))) headers[name] = value;
      };
      set('Authorization', r.authorization);
      set('Cookie', r.cookie);
      set('Content-Type', r.contentType);
      set('Accept', r.accept);
      set('Origin', r.origin);
      set('Foyer-Version', r.version);
      set('X-Request-Id', r.requestId);
      const withBody = !['GET', 'HEAD'].includes(r.method);
      return { method: r.method, path: `${r.path}${r.query}`, headers, body: withBody ? r.body : undefined };
    });
}

export interface Tally {
  ran: number;
  byStatus: Record<number, number>;
  /** Task and preference writes that succeeded: each appends exactly one activity event. */
  acceptedWrites: number;
}

export const newTally = (): Tally => ({ ran: 0, byStatus: {}, acceptedWrites: 0 });

/** Sends one generated request through the app and checks the invariants every answer must keep. */
export async function sendAndCheck(req: FuzzRequest, tally: Tally): Promise<void> {
  let request: Request;
  try {
    request = new Request(`http://foyer.test${req.path}`, { method: req.method, headers: req.headers, body: req.body, redirect: 'manual' });
  } catch {
    return; // not a request any client could send (the URL or a header does not parse)
  }
  const ctx = createExecutionContext();
  const res = await app.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  tally.ran++;
  tally.byStatus[res.status] = (tally.byStatus[res.status] ?? 0) + 1;
  const where = `${req.method} ${req.path.slice(0, 120)} ${JSON.stringify(req.headers).slice(0, 200)}`;
  expect(res.status, where).toBeLessThan(500);
  const isApi = new URL(request.url).pathname.startsWith('/api/');
  if (isApi && res.status >= 400) {
    expect(res.headers.get('Content-Type'), where).toMatch(/^application\/problem\+json/);
    if (req.method !== 'HEAD') {
      const problem = await res.json<{ status: number; title: string }>();
      expect(problem.status, where).toBe(res.status);
    }
  } else {
    await res.body?.cancel();
  }
  const pathname = new URL(request.url).pathname;
  const recorded = /^\/api\/v1\/(tasks(\/[^/]+)?|users\/[^/]+\/preferences)\/?$/.test(pathname);
  if (recorded && res.status >= 200 && res.status < 300 && ['POST', 'PATCH', 'PUT', 'DELETE'].includes(req.method)) {
    tally.acceptedWrites++;
  }
}
