import { createRoute } from '@hono/zod-openapi';
import { createApi, optionallyAuthenticated, problems } from '../http/openapi-app';
import { healthSchema } from '../schemas/operations';
import { recentHealth } from '../services/health-cache';

const api = createApi();

/** Chained, so the app's type carries every route for the `hc` client (AppType in worker/app.ts). */
export const healthApi = api.openapi(
  createRoute({
    method: 'get',
    path: '/',
    operationId: 'getHealth',
    tags: ['Health'],
    summary: 'Dependency health: anyone gets `{status}`; an admin also gets each check',
    description:
      'Each check (D1, KV and the four Durable Objects) is a real round trip with a latency budget; an isolate reuses its report for 5 s. `ok` and `degraded` answer 200; `down` (nothing left to serve from) answers 503 with the same shape, so monitors read one shape in every state. Only a caller with role admin sees `checks`.',
    security: optionallyAuthenticated,
    responses: {
      200: { description: 'ok or degraded', content: { 'application/json': { schema: healthSchema } } },
      503: { description: 'down: D1 and the KV cache are both unavailable', content: { 'application/json': { schema: healthSchema } } },
      ...problems(429),
    },
  }),
  async (c) => {
    const { ageMs, ...report } = await recentHealth(c.env, c.get('requestId'));
    c.header('Cache-Control', 'no-store');
    c.header('Age', String(Math.floor(ageMs / 1000)));
    // Which dependency is down is for operators: an anonymous caller learns only the status.
    const body = c.get('principal')?.role === 'admin' ? report : { status: report.status };
    return report.status === 'down' ? c.json(body, 503) : c.json(body, 200);
  },
);
