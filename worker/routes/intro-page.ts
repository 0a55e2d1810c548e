import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../app-env';
import { canAccessUser, userIdSchema } from '../auth/principal';
import { introPageHealth, introPageHealthSchema } from '../cache';
import { ForbiddenError } from '../errors';
import { authenticated, createApi, problems } from '../http/openapi-app';
import { recordTimings } from '../http/server-timing';
import { authenticate } from '../middleware/authenticate';
import { introPageSchema } from '../sections';
import { type AssembledPage, assembleFromIsolate, assembleIntroPage, introPageInput } from '../services/intro-page';

const api = createApi();
api.use('*', authenticate);

const params = z.object({ userId: userIdSchema });

/** RFC 9110 §13.1.2: If-None-Match compares weakly; `*` matches any current representation. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === opaque);
}

/** Sets the page's validators and cache diagnostics on the response. */
export function setPageHeaders(c: Context<AppEnv>, assembled: AssembledPage): void {
  recordTimings(c, assembled.timings);
  c.header('ETag', assembled.etag);
  c.header('Cache-Status', assembled.cacheStatus);
  // Personal data: no shared cache may keep it, and the browser must revalidate (cheaply, via ETag).
  c.header('Cache-Control', 'private, no-cache');
  c.header('Vary', 'Authorization, Cookie');
}

/**
 * The page route as documented and typed: the two read-your-writes headers are in the OpenAPI
 * document and in the `hc` client's input type (test/types/api-contract.ts).
 */
const introPageRoute = createRoute({
  method: 'get',
  path: '/{userId}',
  operationId: 'getIntroPage',
  tags: ['Page'],
  summary: "A user's assembled intro page (self or admin)",
  description:
    'Sections whose source fails are served from the last good copy or as null and listed in `degraded`; the page still answers 200. ' +
    'Strong `ETag`, `If-None-Match` → 304. `Cache-Status` (RFC 9211) names the layer that answered; `Server-Timing` has each layer and section. ' +
    'Send the `Foyer-Version` value a write returned (the browser sends the `foyer_v` cookie) to be sure to see that write, ' +
    'and its `Foyer-Bookmark` (cookie `foyer_b`) so that the read starts at a database replica that already has it.',
  security: authenticated,
  request: {
    params,
    headers: z.object({
      'foyer-version': z
        .string()
        .optional()
        .openapi({ description: 'The version a task or preference write returned (read-your-writes).' }),
      'foyer-bookmark': z
        .string()
        .optional()
        .openapi({ description: 'The D1 bookmark the same write returned: the read is at least that new on any replica.' }),
    }),
  },
  responses: {
    200: { description: 'The intro page', content: { 'application/json': { schema: introPageSchema } } },
    304: { description: 'Not modified (matching If-None-Match)' },
    ...problems(400, 401, 403, 404, 429),
  },
});

/** Chained, so the app's type carries every route for the `hc` client (AppType in worker/app.ts). */
export const introPageApi = api
  .openapi(introPageRoute, async (c) => {
    const { userId } = c.req.valid('param');
    if (!canAccessUser(c.get('principal'), userId)) {
      throw new ForbiddenError("You may read only your own intro page; admins may read anyone's.");
    }
    const input = introPageInput(c, userId);
    const assembled = assembleFromIsolate(input) ?? (await assembleIntroPage(input));
    setPageHeaders(c, assembled);
    if (matchesIfNoneMatch(c.req.header('If-None-Match'), assembled.etag)) return c.body(null, 304);
    return c.body(assembled.jsonBytes(), 200, { 'Content-Type': 'application/json' });
  })
  .openapi(
    createRoute({
      method: 'get',
      path: '/{userId}/health',
      operationId: 'getIntroPageHealth',
      tags: ['Page'],
      summary: "Each section's source, freshness and last error for one user's page (self or admin)",
      description: 'Reads only the cache (this isolate, then KV); it never computes a section.',
      security: authenticated,
      request: { params },
      responses: {
        200: { description: 'Per-section health', content: { 'application/json': { schema: introPageHealthSchema } } },
        ...problems(400, 401, 403, 429),
      },
    }),
    async (c) => {
      const { userId } = c.req.valid('param');
      if (!canAccessUser(c.get('principal'), userId)) {
        throw new ForbiddenError("You may read only your own page's health; admins may read anyone's.");
      }
      c.header('Cache-Control', 'no-store');
      return c.json(await introPageHealth(c.env, userId, introPageInput(c, userId).minVersion ?? 0), 200);
    },
  );
