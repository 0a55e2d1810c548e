import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import {
  extendZodWithOpenApi,
  getOpenApiMetadata,
  keepSchema,
  OpenAPIRegistry,
  OpenApiGeneratorV31,
} from '../../worker/bundle/zod-to-openapi';

// The deployed bundle's zod-to-openapi (wrangler.toml `alias`); the rest of the suite runs the
// package itself, so these hold the stand-ins to what the worker relies on.
describe("the bundle's stand-ins for zod-to-openapi", () => {
  it('.openapi() gives back the schema itself, which validates as the metadata-carrying copy does', () => {
    const zodLike = { ZodType: class {} as unknown as { prototype: Record<string, unknown> } };
    extendZodWithOpenApi(zodLike);
    expect(zodLike.ZodType.prototype.openapi).toBe(keepSchema);

    const title = z.string().min(1).max(200);
    expect(keepSchema.call(title)).toBe(title);
    const withMetadata = title.openapi('Title', { example: 'Water the plants' });
    for (const input of ['', 'Water the plants', 'x'.repeat(201), 42, null]) {
      expect(title.safeParse(input).success, JSON.stringify(input)).toBe(withMetadata.safeParse(input).success);
    }
  });

  it('an app whose registry records nothing still routes and validates every request', async () => {
    const app = new OpenAPIHono({
      defaultHook: (result, c) => (result.success ? undefined : c.json({ invalid: result.target }, 400)),
    });
    app.openAPIRegistry = new OpenAPIRegistry() as unknown as typeof app.openAPIRegistry;
    const route = createRoute({
      method: 'post',
      path: '/tasks/{id}',
      request: {
        params: z.object({ id: z.string().min(3) }),
        body: { content: { 'application/json': { schema: z.object({ title: z.string().min(1) }) } }, required: true },
      },
      responses: { 200: { description: 'ok' } },
    });
    app.openapi(route, (c) => c.json({ id: c.req.valid('param').id, title: c.req.valid('json').title }, 200));
    const post = (path: string, body: unknown) =>
      app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

    expect(await (await post('/tasks/abc', { title: 'Water the plants' })).json()).toEqual({ id: 'abc', title: 'Water the plants' });
    expect(await (await post('/tasks/abc', { title: '' })).json()).toEqual({ invalid: 'json' });
    expect(await (await post('/tasks/ab', { title: 'x' })).json()).toEqual({ invalid: 'param' });
    expect(app.openAPIRegistry.definitions).toEqual([]);
  });

  it('the registry hands every schema back as it came and keeps nothing', () => {
    const registry = new OpenAPIRegistry();
    const id = z.string().min(3);
    expect(registry.register('TaskId', id)).toBe(id);
    expect(registry.registerParameter('TaskId', id)).toBe(id);
    registry.registerPath();
    registry.registerWebhook();
    expect(registry.definitions).toEqual([]);
    expect(getOpenApiMetadata()).toEqual({});
    expect(registry.registerComponent('securitySchemes', 'bearerAuth')).toEqual({
      name: 'bearerAuth',
      ref: { $ref: '#/components/securitySchemes/bearerAuth' },
    });
  });

  it('the document generators are left out and say where the document comes from', () => {
    expect(() => new OpenApiGeneratorV31()).toThrow(/scripts\/build-openapi\.ts/);
  });
});
