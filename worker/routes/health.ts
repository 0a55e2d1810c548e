import { createRoute } from '@hono/zod-openapi';
import { createApi } from '../http/openapi-app';
import { healthSchema } from '../schemas/operations';
import { checkHealth } from '../services/dependency-checks';

const api = createApi();

/** Chained, so the app's type carries every route for the `hc` client (AppType in worker/app.ts). */
export const healthApi = api.openapi(
  createRoute({
    method: 'get',
    path: '/',
    summary: 'Dependency health: D1, KV, the feed and rate limiter objects (anyone)',
    description:
      'Each check is a real round trip with a latency budget. `ok` and `degraded` answer 200; `down` (nothing left to serve from) answers 503 with the same body, so monitors read one shape in every state.',
    responses: {
      200: { description: 'ok or degraded', content: { 'application/json': { schema: healthSchema } } },
      503: { description: 'down: D1 and the KV cache are both unavailable', content: { 'application/json': { schema: healthSchema } } },
    },
  }),
  async (c) => {
    const report = await checkHealth(c.env, c.get('requestId'));
    c.header('Cache-Control', 'no-store');
    return report.status === 'down' ? c.json(report, 503) : c.json(report, 200);
  },
);
