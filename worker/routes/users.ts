import { createRoute, z } from '@hono/zod-openapi';
import { createDb } from '../db/client';
import { authenticated, createApi, jsonContent, problems } from '../http/openapi-app';
import { authenticate, requireAdmin } from '../middleware/authenticate';
import { activityEventSchema } from '../schemas/activity-event';
import { registeredUserSchema, registerUserSchema } from '../schemas/users';
import { afterUserWrite } from '../services/after-write';
import { registerUser } from '../services/users';

const api = createApi();
// Only this route's path: a `*` here would also cover /users/{userId}/preferences, mounted at the same prefix.
api.use('/', authenticate, requireAdmin);

/** Chained, so the app's type carries every route for the `hc` client (AppType in worker/app.ts). */
export const usersApi = api.openapi(
  createRoute({
    method: 'post',
    path: '/',
    operationId: 'registerUser',
    tags: ['Users'],
    summary: 'Register a user (admin; emits user.registered)',
    description:
      "The user, their preferences and the `user.registered` event commit in one D1 transaction with the event's outbox row. " +
      'Its consumer gives the user the onboarding task "Set up your page", which their intro page and live feed show within seconds (docs/events.md).',
    security: authenticated,
    request: { body: { required: true, ...jsonContent(registerUserSchema) } },
    responses: {
      201: {
        description: 'Registered',
        ...jsonContent(z.object({ user: registeredUserSchema, event: activityEventSchema }).openapi('UserRegistered')),
      },
      ...problems(400, 401, 403, 409, 415, 503),
    },
  }),
  async (c) => {
    const change = await registerUser(createDb(c.env.DB), c.req.valid('json'));
    afterUserWrite(c, change.value.id, change.event);
    return c.json({ user: change.value, event: change.event }, 201, { Location: `/api/v1/intro-page/${change.value.id}` });
  },
);
