import { createRoute, z } from '@hono/zod-openapi';
import { canAccessUser, userIdSchema } from '../auth/principal';
import { ForbiddenError } from '../errors';
import { authenticated, createApi, problems } from '../http/openapi-app';
import { authenticate } from '../middleware/authenticate';
import { activityEventSchema } from '../schemas/activity-event';
import { updatePreferencesSchema } from '../schemas/preferences';
import { personalizationSchema } from '../sections/personalization';
import { userWrite } from '../services/after-write';
import { updatePreferences } from '../services/preferences';

const api = createApi();
api.use('*', authenticate);

/** Chained, so the app's type carries every route for the `hc` client (AppType in worker/app.ts). */
export const preferencesApi = api.openapi(
  createRoute({
    method: 'patch',
    path: '/{userId}/preferences',
    operationId: 'updatePreferences',
    tags: ['Preferences'],
    summary: 'Change theme, hidden sections, section order, locale or time zone (records preferences.updated)',
    security: authenticated,
    request: {
      params: z.object({ userId: userIdSchema }),
      body: { required: true, content: { 'application/json': { schema: updatePreferencesSchema } } },
    },
    responses: {
      200: {
        description: 'The preferences now in force',
        content: {
          'application/json': {
            schema: z.object({ personalization: personalizationSchema, event: activityEventSchema }),
          },
        },
      },
      ...problems(400, 401, 403, 404, 413, 415, 429, 503),
    },
  }),
  async (c) => {
    const { userId } = c.req.valid('param');
    const principal = c.get('principal');
    if (!canAccessUser(principal, userId)) throw new ForbiddenError('You may change only your own preferences.');
    const patch = c.req.valid('json');
    const change = await userWrite(c, userId, 'preferences.updated', (db, now, reads) =>
      updatePreferences(db, userId, patch, principal.userId, now, reads),
    );
    return c.json({ personalization: change.value, event: change.event }, 200);
  },
);
