import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../app-env';
import { createDb } from '../db/client';
import { NotFoundError, ServiceUnavailableError } from '../errors';
import { deleteFlag, findFlag, listFlags, readSnapshot, saveFlag } from '../flags/repository';
import { flagInputSchema, flagKeySchema, flagSchema } from '../flags/schema';
import { FLAG_SNAPSHOT_TTL_MS, flagSnapshots } from '../flags/snapshot-store';
import { authenticated, createApi, problems } from '../http/openapi-app';
import { authenticate, requireAdmin } from '../middleware/authenticate';

export const adminFlagsApi = createApi();
adminFlagsApi.use('*', authenticate, requireAdmin);

const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
const params = z.object({ key: flagKeySchema });

const flagListSchema = z.object({ flags: z.array(flagSchema) }).openapi('FeatureFlagList');
const flagSavedSchema = z
  .object({
    flag: flagSchema,
    /** The version of the whole flag set after this change. */
    version: z.number().int(),
    /** False when KV refused the snapshot; the next `GET /admin/flags` publishes it again. */
    published: z.boolean(),
    /** How long after KV shows the change in a location every isolate there uses it. */
    isolateTtlMs: z.number().int(),
  })
  .openapi('FeatureFlagSaved');

const unavailable = (err: unknown) => {
  throw new ServiceUnavailableError('The flag store (D1) is unavailable, so nothing was changed; retry in a moment.', { cause: err });
};

function changeOf(c: Context<AppEnv>, key: string) {
  return { key, actor: c.get('principal').userId, requestId: c.get('requestId') };
}

adminFlagsApi.openapi(
  createRoute({
    method: 'get',
    path: '/',
    operationId: 'listFlags',
    tags: ['Admin'],
    summary: 'Every feature flag (admin)',
    description:
      'Read from D1, the source of truth. If the KV snapshot the isolates read is behind D1 (a publish failed or lost a race), ' +
      'this call publishes it again.',
    security: authenticated,
    responses: { 200: { description: 'The flags, by key', ...json(flagListSchema) }, ...problems(401, 403, 429, 503) },
  }),
  async (c) => {
    const db = createDb(c.env.DB);
    const [flags, snapshot, published] = await Promise.all([listFlags(db), readSnapshot(db), flagSnapshots.publishedVersion(c.env)]).catch(
      unavailable,
    );
    if (published === undefined || published < snapshot.version) c.executionCtx.waitUntil(flagSnapshots.publish(c.env, snapshot));
    c.header('Cache-Control', 'no-store');
    return c.json({ flags }, 200);
  },
);

adminFlagsApi.openapi(
  createRoute({
    method: 'put',
    path: '/{key}',
    operationId: 'saveFlag',
    tags: ['Admin'],
    summary: 'Create or replace a feature flag (admin; audited)',
    description:
      'The change, the flag set version and an audit row commit in one D1 transaction; then the snapshot goes to KV. ' +
      'Every isolate uses it within the bound in docs/architecture.md#feature-flags. 201 when the flag is new, 200 when it was replaced.',
    security: authenticated,
    request: { params, body: { required: true, ...json(flagInputSchema) } },
    responses: {
      200: { description: 'The flag was replaced', ...json(flagSavedSchema) },
      201: { description: 'The flag was created', ...json(flagSavedSchema) },
      ...problems(400, 401, 403, 413, 415, 429, 503),
    },
  }),
  async (c) => {
    const { key } = c.req.valid('param');
    const input = c.req.valid('json');
    const db = createDb(c.env.DB);
    const before = await findFlag(db, key).catch(unavailable);
    const { flag, snapshot } = await saveFlag(db, { ...changeOf(c, key), before }, input).catch(unavailable);
    if (!flag) throw new ServiceUnavailableError('The flag was written but could not be read back; list the flags to check it.');
    const published = await flagSnapshots.publish(c.env, snapshot);
    return c.json({ flag, version: snapshot.version, published, isolateTtlMs: FLAG_SNAPSHOT_TTL_MS }, before ? 200 : 201);
  },
);

adminFlagsApi.openapi(
  createRoute({
    method: 'delete',
    path: '/{key}',
    operationId: 'deleteFlag',
    tags: ['Admin'],
    summary: 'Remove a feature flag (admin; audited)',
    description: 'Every user then gets the default the code asks for. The removal is audited like a change.',
    security: authenticated,
    request: { params },
    responses: { 204: { description: 'Removed' }, ...problems(400, 401, 403, 404, 429, 503) },
  }),
  async (c) => {
    const { key } = c.req.valid('param');
    const db = createDb(c.env.DB);
    const before = await findFlag(db, key).catch(unavailable);
    if (!before) throw new NotFoundError(`There is no flag "${key}"; GET /api/v1/admin/flags lists them.`);
    const { snapshot } = await deleteFlag(db, { ...changeOf(c, key), before }).catch(unavailable);
    await flagSnapshots.publish(c.env, snapshot);
    return c.body(null, 204);
  },
);
