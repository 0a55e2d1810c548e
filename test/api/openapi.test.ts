import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app';
import { openApiDocument } from '../../worker/http/openapi-document';
import { call } from '../helpers/http';

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
