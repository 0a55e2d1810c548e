import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidTimeZone } from '../../shared/calendar';
import { createApp } from '../../worker/app';
import { openApiDocument } from '../../worker/http/openapi-document';
import { isLocale } from '../../worker/schemas/preferences';
import { authHeaders } from '../helpers/auth';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<string, { requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, unknown> }>
  >;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
};

describe('GET /api/v1/openapi.json', () => {
  it('is OpenAPI 3.1 built from the zod schemas that validate requests', async () => {
    const res = await call('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = await res.json<Doc>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/intro-page/{userId}', '/api/v1/tasks', '/api/v1/tasks/{id}', '/api/v1/users/{userId}/preferences']),
    );
    expect(Object.keys(doc.paths['/api/v1/tasks']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v1/tasks/{id}']!).sort()).toEqual(['delete', 'patch']);
    // The same schema object that rejects an empty title documents it.
    const create = doc.components.schemas.CreateTask!;
    expect(create.required).toContain('title');
    expect(create.properties?.title).toMatchObject({ minLength: 1, maxLength: 200 });
    expect(doc.components.schemas.IntroPage?.required).toEqual(expect.arrayContaining(['userId', 'generatedAt', 'sections', 'degraded']));
    expect(doc.paths['/api/v1/tasks']!.post!.responses).toHaveProperty('400');
  });

  it('documents the intro page read-your-writes headers, which the route reads itself rather than through a validator', async () => {
    const doc = await (await call('/api/v1/openapi.json')).json<{
      paths: Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean }[] }>>;
    }>();
    const parameters = doc.paths['/api/v1/intro-page/{userId}']?.get?.parameters ?? [];
    expect(parameters.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['header:foyer-bookmark', 'header:foyer-version', 'path:userId']);
    expect(parameters.filter((p) => p.in === 'header').every((p) => !p.required)).toBe(true);
  });

  it('serves the document the routes give now: a route changed without rebuilding dist/ fails here', async () => {
    const res = await call('/api/v1/openapi.json');
    // The build (scripts/build-openapi.ts) writes this file; the suite's config rebuilds it when
    // the worker's sources are newer, so a difference means the generation and the routes disagree.
    expect(await res.text()).toBe(JSON.stringify(openApiDocument(createApp())));
  });

  it('answers as the generated route did: JSON, never stored, no ETag, the API headers and a request id', async () => {
    const res = await call('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('application/json');
    expect(res.headers.get('Cache-Control')).toBe('private, no-store');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(res.headers.get('ETag')).toBeNull();
    expect(res.headers.get('X-Request-Id')).toBeTruthy();
    const head = await call('/api/v1/openapi.json', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('is a 500 problem, with what to do, when a deployment lacks the built file', async () => {
    // The real asset server, asked for a file the build did not write.
    const withoutDocument = { fetch: () => env.ASSETS.fetch('https://assets.local/api/v1/no-such-document.json') } as unknown as Fetcher;
    const res = await call('/api/v1/openapi.json', {}, { env: { ASSETS: withoutDocument } });
    expect(res.status).toBe(500);
    expect((await res.json<{ title: string }>()).title).toBeTruthy();
  });

  it('GET /docs serves an explorer pointed at the document', async () => {
    const res = await call('/docs');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('/api/v1/openapi.json');
  });
});

type Operation = {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; schema: { pattern?: string; example?: unknown } }[];
};

async function served() {
  return (await call('/api/v1/openapi.json')).json<{
    tags: { name: string; description?: string }[];
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, { properties: Record<string, { pattern?: string; example?: string; uniqueItems?: boolean }> }> };
  }>();
}

describe('the document, for explorers and generated clients', () => {
  it('names every operation once, in camelCase, under one declared tag, and every tag is described and used', async () => {
    const doc = await served();
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    );
    const ids = operations.map(({ op }) => op.operationId);
    expect(
      ids.every((id) => id !== undefined && /^[a-z]+(?:[A-Z][a-z0-9]*)+$/.test(id)),
      ids.join(', '),
    ).toBe(true);
    expect(new Set(ids).size).toBe(operations.length);
    const declared = doc.tags.map((t) => t.name);
    for (const { path, method, op } of operations) expect(op.tags, `${method} ${path}`).toEqual([expect.toBeOneOf(declared)]);
    expect(doc.tags.every((t) => (t.description ?? '').length > 0)).toBe(true);
    expect(new Set(operations.map(({ op }) => op.tags![0]))).toEqual(new Set(declared));
    expect(doc.paths['/api/v1/intro-page/{userId}']!.get!.operationId).toBe('getIntroPage');
    expect(doc.paths['/api/v1/tasks']!.post!.operationId).toBe('createTask');
  });

  it('declares which operations need no credential, and they answer without one', async () => {
    const doc = await served();
    expect(doc.paths['/api/v1/events/catalog']!.get!.security).toEqual([]);
    // Health answers anyone; a credential, when sent, adds each check for an admin.
    expect(doc.paths['/api/v1/health']!.get!.security).toEqual([{}, { bearerAuth: [] }, { sessionCookie: [] }]);
    expect((await call('/api/v1/events/catalog')).status).toBe(200);
    expect([200, 503]).toContain((await call('/api/v1/health')).status);
    const others = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.values(ops).filter(() => path !== '/api/v1/events/catalog' && path !== '/api/v1/health'),
    );
    for (const op of others) expect(op.security, op.operationId).toEqual([{ bearerAuth: [] }, { sessionCookie: [] }]);
  });

  it('marks the section lists unique, as the server refuses a section named twice', async () => {
    const { properties } = (await served()).components.schemas.UpdatePreferences!;
    expect(properties.sectionOrder?.uniqueItems).toBe(true);
    expect(properties.hiddenSections?.uniqueItems).toBe(true);
    await seed(env.DB);
    const res = await call('/api/v1/users/alice/preferences', {
      method: 'PATCH',
      headers: { ...(await authHeaders('alice')), 'Content-Type': 'application/json' },
      body: JSON.stringify({ sectionOrder: ['activityFeed', 'activityFeed'] }),
    });
    expect(res.status).toBe(400);
  });

  it('gives ids, locale and time zone examples the server accepts, and patterns that match what it accepts', async () => {
    const doc = await served();
    const { locale, timeZone } = doc.components.schemas.UpdatePreferences!.properties;
    const userId = doc.components.schemas.RegisterUser!.properties.id!;
    const taskId = doc.paths['/api/v1/tasks/{id}']!.patch!.parameters!.find((p) => p.name === 'id')!.schema;
    for (const field of [locale, timeZone, userId, taskId]) expect(new RegExp(field!.pattern!).test(String(field!.example))).toBe(true);
    await seed(env.DB);
    const admin = { ...(await authHeaders('ops', 'admin')), 'Content-Type': 'application/json' };
    const preferences = await call(`/api/v1/users/${userId.example}/preferences`, {
      method: 'PATCH',
      headers: admin,
      body: JSON.stringify({ locale: locale!.example, timeZone: timeZone!.example }),
    });
    expect(preferences.status).toBe(200);
    const task = await call(`/api/v1/tasks/${taskId.example}`, {
      method: 'PATCH',
      headers: { ...(await authHeaders(String(userId.example))), 'Content-Type': 'application/json' },
      body: JSON.stringify({ priority: 'low' }),
    });
    expect(task.status).toBe(200);

    // Every zone the runtime knows, as written and in the lower case Intl also accepts.
    const zone = new RegExp(timeZone!.pattern!);
    const zones = Intl.supportedValuesOf('timeZone');
    expect(zones.filter((z) => !zone.test(z) || !zone.test(z.toLowerCase()))).toEqual([]);
    // Whatever the server takes as a locale or zone, the pattern takes too (no client refuses it).
    const tag = new RegExp(locale!.pattern!);
    const tagLike = fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/);
    fc.assert(
      fc.property(tagLike, (s) => !isLocale(s) || tag.test(s)),
      { numRuns: 2000 },
    );
    const zoneLike = fc.stringMatching(/^[A-Za-z0-9_/+:-]{1,20}$/);
    fc.assert(
      fc.property(zoneLike, (s) => !isValidTimeZone(s) || zone.test(s)),
      { numRuns: 2000 },
    );
    for (const accepted of [
      'en-US',
      'EN-us',
      'zh-Hant-TW',
      'es-419',
      'de-CH-1996',
      'ca-ES-valencia',
      'en-u-ca-gregory',
      'en-x-private',
      'und',
    ]) {
      expect([accepted, isLocale(accepted), tag.test(accepted)]).toEqual([accepted, true, true]);
    }
    for (const refused of ['en_US', 'x-private', 'root', 'e'])
      expect([refused, isLocale(refused), tag.test(refused)]).toEqual([refused, false, false]);
    for (const refused of ['Mars/Olympus', 'Etc/Unknown'])
      expect([refused, isValidTimeZone(refused), zone.test(refused)]).toEqual([refused, false, true]);
    for (const odd of ['UTC', 'utc', 'GMT', 'Etc/GMT+5', 'EST5EDT', 'America/Port-au-Prince', '+01:00', '-08', '+0530']) {
      expect([odd, !isValidTimeZone(odd) || zone.test(odd)]).toEqual([odd, true]);
    }
  });
});
