import { describe, expect, it } from 'vitest';
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

  it('GET /docs serves an explorer pointed at the document', async () => {
    const res = await call('/docs');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('/api/v1/openapi.json');
  });
});
