import { createRoute, z } from '@hono/zod-openapi';
import { etag } from 'hono/etag';
import { setMetric } from 'hono/timing';
import { canAccessUser, userIdSchema } from '../auth/principal';
import { createDb } from '../db/client';
import { ForbiddenError } from '../errors';
import { authenticated, createApi, problems } from '../http/openapi-app';
import { authenticate } from '../middleware/authenticate';
import { introPageSchema } from '../sections';
import { assembleIntroPage } from '../services/intro-page';

export const introPageApi = createApi();
introPageApi.use('*', authenticate);
introPageApi.use('/:userId', etag());

introPageApi.openapi(
  createRoute({
    method: 'get',
    path: '/{userId}',
    summary: "A user's assembled intro page (self or admin)",
    description:
      'Sections whose source fails are served from the last good copy or as null and listed in `degraded`; the page still answers 200. Supports `If-None-Match` (304).',
    security: authenticated,
    request: { params: z.object({ userId: userIdSchema }) },
    responses: {
      200: { description: 'The intro page', content: { 'application/json': { schema: introPageSchema } } },
      304: { description: 'Not modified (matching If-None-Match)' },
      ...problems(400, 401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { userId } = c.req.valid('param');
    if (!canAccessUser(c.get('principal'), userId)) {
      throw new ForbiddenError("You may read only your own intro page; admins may read anyone's.");
    }
    const { page, timings } = await assembleIntroPage(createDb(c.env.DB), userId);
    for (const t of timings) setMetric(c, t.name, t.ms, t.source);
    c.header('Cache-Control', 'private, no-cache');
    return c.json(page, 200);
  },
);
