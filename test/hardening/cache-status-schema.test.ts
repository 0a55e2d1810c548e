import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshIsolate } from '../../worker/isolate';
import { authHeaders } from '../helpers/auth';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  $ref?: string;
};
type Document = { components: { schemas: Record<string, JsonSchema> } };

/** Every value the schema types `integer` (at any depth) that is not one, as `path = value`. */
function nonIntegers(schema: JsonSchema, value: unknown, doc: Document, path = '$'): string[] {
  if (schema.$ref) return nonIntegers(doc.components.schemas[schema.$ref.split('/').pop()!]!, value, doc, path);
  const types = [schema.type ?? []].flat();
  if (types.includes('integer') && typeof value === 'number' && !Number.isInteger(value)) return [`${path} = ${value}`];
  if (value === null || typeof value !== 'object') return [];
  const record = value as Record<string, unknown>;
  const found: string[] = [];
  for (const [key, child] of Object.entries(record)) {
    const childSchema =
      schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (childSchema) found.push(...nonIntegers(childSchema, child, doc, `${path}.${key}`));
  }
  return found;
}

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 6 });
  freshIsolate();
});

describe('finding 14: GET /api/v1/admin/cache answers what its schema says', () => {
  it('every integer of the document is an integer, keys.isolate.bytes included, as pages fill the isolate', async () => {
    const doc = await (await call('/api/v1/openapi.json')).json<Document>();
    const schema = doc.components.schemas.CacheStatus!;
    expect(schema.properties?.keys?.properties?.isolate?.properties?.bytes?.type).toBe('integer');
    const admin = await authHeaders('ops', 'admin');
    const seen: number[] = [];
    for (const userId of ['user-00001', 'user-00002', 'user-00003', 'user-00004', 'user-00005', 'user-00006']) {
      expect((await call(`/api/v1/intro-page/${userId}`, { headers: await authHeaders(userId) })).status).toBe(200);
      const res = await call('/api/v1/admin/cache', { headers: admin });
      expect(res.status).toBe(200);
      const status = await res.json<{ keys: { isolate: { bytes: number } } }>();
      seen.push(status.keys.isolate.bytes);
      expect(nonIntegers(schema, status, doc)).toEqual([]);
    }
    // The isolate held more with each page: the figure was exercised, not left at 0.
    expect(seen.at(-1)).toBeGreaterThan(seen[0]!);
  });
});
