import { createRoute, z } from '@hono/zod-openapi';
import { count, desc, gte } from 'drizzle-orm';
import type { Context } from 'hono';
import { activityEvents } from '../../drizzle/schema';
import { MS } from '../../shared/calendar';
import type { AppEnv } from '../app-env';
import { userIdSchema } from '../auth/principal';
import { addCounters, coordinatorOf, emptyCounters, fragmentCache, hitRates } from '../cache';
import { createDb } from '../db/client';
import { NotFoundError, ServiceUnavailableError } from '../errors';
import { authenticated, createApi, jsonContent, problems } from '../http/openapi-app';
import { authenticate, requireAdmin } from '../middleware/authenticate';
import { errorMessage, log } from '../observability/log';
import { sectionNameSchema } from '../sections/personalization';
import { recordAudit } from '../services/audit';

const api = createApi();
api.use('*', authenticate, requireAdmin);

/** Warming is one D1 batch and two KV writes per user; this keeps a warm inside one request's subrequest limit. */
const MAX_WARM = 100;
/** Keys listed for the status page; KV lists 1000 per call. */
const MAX_LISTED_KEYS = 5000;

const layerSchema = z.object({
  hits: z.number().int(),
  stale: z.number().int(),
  misses: z.number().int(),
  hitRate: z.number().nullable(),
});

const cacheStatusSchema = z
  .object({
    generation: z.object({
      seq: z.number().int().openapi({ description: 'Number of the last purge (0: none).' }),
      all: z.number().int(),
      sections: z.record(z.string(), z.number().int()),
      purgedUsers: z.number().int(),
    }),
    hitRate: z.number().nullable().openapi({ description: 'Share of lookups answered without computing from D1.' }),
    layers: z.object({ isolate: layerSchema, kv: layerSchema }),
    d1: z.object({ computes: z.number().int(), failures: z.number().int(), timeouts: z.number().int() }),
    coalesced: z.number().int(),
    degraded: z.number().int(),
    countersSince: z.iso.datetime(),
    keys: z.object({
      kv: z.object({ total: z.number().int(), shared: z.number().int(), user: z.number().int(), truncated: z.boolean() }),
      isolate: z.object({
        entries: z.number().int(),
        bytes: z.number().int().openapi({ description: 'Accounted bytes of page data this isolate holds (docs/capacity.md).' }),
        maxBytes: z
          .number()
          .int()
          .openapi({ description: "This isolate's page-data budget; the least recently used pages go first past it." }),
      }),
    }),
  })
  .openapi('CacheStatus');

const purgeSchema = z
  .discriminatedUnion('scope', [
    z.object({ scope: z.literal('all') }),
    z.object({ scope: z.literal('user'), userId: userIdSchema }),
    z.object({ scope: z.literal('section'), section: sectionNameSchema, userId: userIdSchema.optional() }),
  ])
  .openapi('CachePurge');

const purgeResultSchema = z
  .object({
    purged: purgeSchema,
    covers: z.string(),
    generation: z.number().int(),
    /** From this moment no isolate serves a fragment the purge covers. */
    effectiveAt: z.iso.datetime(),
    audited: z.boolean(),
  })
  .openapi('CachePurgeResult');

const warmSchema = z
  .union([
    z.object({ userIds: z.array(userIdSchema).min(1).max(MAX_WARM) }).strict(),
    z.object({ top: z.number().int().min(1).max(MAX_WARM) }).strict(),
  ])
  .openapi('CacheWarm');

const warmResultSchema = z
  .object({
    warmed: z.array(z.object({ userId: z.string(), version: z.number().int() })),
    failed: z.array(z.object({ userId: z.string(), reason: z.string() })),
    shared: z.boolean(),
    audited: z.boolean(),
  })
  .openapi('CacheWarmResult');

/** Chained, so the app's type carries every route for the `hc` client (AppType in worker/app.ts). */
export const adminCacheApi = api
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'getCacheStatus',
      tags: ['Admin'],
      summary: 'Cache status: generation, hits and misses per layer, hit rate, keys (admin)',
      description: 'Counters are summed over every isolate (each reports about once a second while it serves).',
      security: authenticated,
      responses: { 200: { description: 'Cache status', ...jsonContent(cacheStatusSchema) }, ...problems(401, 403, 429, 503) },
    }),
    async (c) => {
      const stub = coordinatorOf(c.env);
      const [stats, keys] = await Promise.all([
        stub.stats().catch(() => {
          throw new ServiceUnavailableError('The cache coordinator is unreachable; retry in a moment.');
        }),
        countKeys(c.env.CACHE),
      ]);
      // Add what this isolate has counted but not yet reported.
      const counters = emptyCounters();
      addCounters(counters, stats.counters);
      addCounters(counters, fragmentCache.unreported);
      const rates = hitRates(counters);
      c.header('Cache-Control', 'no-store');
      return c.json(
        {
          generation: {
            seq: stats.state.seq,
            all: stats.state.all,
            sections: stats.state.sections as Record<string, number>,
            purgedUsers: Object.keys(stats.state.users).length,
          },
          hitRate: rates.overall,
          layers: {
            isolate: { hits: counters.isolate.hit, stale: counters.isolate.stale, misses: counters.isolate.miss, hitRate: rates.isolate },
            kv: { hits: counters.kv.hit, stale: counters.kv.stale, misses: counters.kv.miss, hitRate: rates.kv },
          },
          d1: counters.d1,
          coalesced: counters.coalesced,
          degraded: counters.degraded,
          countersSince: new Date(stats.countersSince).toISOString(),
          keys: {
            kv: keys,
            isolate: {
              entries: fragmentCache.isolateEntries,
              bytes: fragmentCache.isolateBytes,
              maxBytes: fragmentCache.config.isolateBytes,
            },
          },
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/purge',
      operationId: 'purgeCache',
      tags: ['Admin'],
      summary: 'Purge everything, one user, or one section (admin)',
      description:
        'Purging bumps a generation numbered by one Durable Object, which publishes the purge state to one KV key (a burst of purges shares one write a second); ' +
        'every busy isolate re-reads that key twice a second. Locally the answer comes once no isolate can serve a purged fragment (about 3 s); ' +
        "deployed, `effectiveAt` adds KV's propagation (60 s) and the answer does not wait for it. Old fragment keys expire on their own.",
      security: authenticated,
      request: { body: { required: true, ...jsonContent(purgeSchema) } },
      responses: {
        200: { description: 'What was purged', ...jsonContent(purgeResultSchema) },
        ...problems(400, 401, 403, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const scope = c.req.valid('json');
      const result = await fragmentCache.purge(c.env, scope).catch((err: unknown) => {
        throw new ServiceUnavailableError('The cache coordinator is unreachable, so nothing was purged; retry in a moment.', {
          cause: err,
        });
      });
      const audited = await audit(c, 'cache.purge', { ...scope, generation: result.seq, covers: result.covers });
      return c.json(
        { purged: scope, covers: result.covers, generation: result.seq, effectiveAt: new Date(result.effectiveAt).toISOString(), audited },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/warm',
      operationId: 'warmCache',
      tags: ['Admin'],
      summary: 'Compute and store the fragments of some users now (admin)',
      description: `\`{userIds:[…]}\` or \`{top:N}\` (the N users with the most activity in the last 7 days); at most ${MAX_WARM}.`,
      security: authenticated,
      request: { body: { required: true, ...jsonContent(warmSchema) } },
      responses: { 200: { description: 'What was warmed', ...jsonContent(warmResultSchema) }, ...problems(400, 401, 403, 413, 415, 429) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const userIds = 'userIds' in body ? [...new Set(body.userIds)] : await mostActiveUsers(c.env, body.top);
      const req = { env: c.env, waitUntil: (p: Promise<unknown>) => c.executionCtx.waitUntil(p) };
      const warmed: { userId: string; version: number }[] = [];
      const failed: { userId: string; reason: string }[] = [];
      const shared = await fragmentCache
        .refreshShared(req)
        .then(() => true)
        .catch(() => false);
      // A few at a time: a Worker may keep only six connections open at once.
      for (let i = 0; i < userIds.length; i += 6) {
        await Promise.all(
          userIds.slice(i, i + 6).map(async (userId) => {
            try {
              const fragment = await fragmentCache.refreshPersonal(req, userId);
              warmed.push({ userId, version: fragment.v });
            } catch (err) {
              failed.push({ userId, reason: err instanceof NotFoundError ? 'no such user' : 'source failed' });
            }
          }),
        );
      }
      const audited = await audit(c, 'cache.warm', {
        requested: body,
        warmed: warmed.map((w) => w.userId),
        failed: failed.map((f) => f.userId),
      });
      return c.json({ warmed, failed, shared, audited }, 200);
    },
  );

async function audit(c: Context<AppEnv>, action: string, detail: Record<string, unknown>): Promise<boolean> {
  try {
    await recordAudit(createDb(c.env.DB), {
      actor: c.get('principal').userId,
      action,
      detail: { ...detail, requestId: c.get('requestId') },
    });
    return true;
  } catch (err) {
    log.error('audit write failed', { action, requestId: c.get('requestId'), error: errorMessage(err) });
    return false;
  }
}

async function mostActiveUsers(env: Env, top: number): Promise<string[]> {
  const db = createDb(env.DB);
  const rows = await db
    .select({ userId: activityEvents.userId, n: count() })
    .from(activityEvents)
    .where(gte(activityEvents.createdAt, new Date(Date.now() - 7 * MS.day)))
    .groupBy(activityEvents.userId)
    .orderBy(desc(count()))
    .limit(top);
  return rows.map((r) => r.userId);
}

async function countKeys(kv: KVNamespace): Promise<{ total: number; shared: number; user: number; truncated: boolean }> {
  const out = { total: 0, shared: 0, user: 0, truncated: false };
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix: 'frag:', ...(cursor ? { cursor } : {}) });
    for (const { name } of page.keys) {
      out.total++;
      if (name.includes(':user:')) out.user++;
      else out.shared++;
    }
    cursor = page.list_complete ? undefined : page.cursor;
    if (cursor && out.total >= MAX_LISTED_KEYS) {
      out.truncated = true;
      break;
    }
  } while (cursor);
  return out;
}
