import { createRoute, z } from '@hono/zod-openapi';
import { replicaDb } from '../db/sessions';
import { ServiceUnavailableError } from '../errors';
import { eventFigures } from '../events/figures';
import { authenticated, createApi, problems } from '../http/openapi-app';
import { authenticate, requireAdmin } from '../middleware/authenticate';
import { flushMetrics, metricsSnapshot } from '../observability/flush';
import { errorMessage, log } from '../observability/log';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../observability/prometheus';
import type { StoreSnapshot } from '../observability/series';
import { summarize } from '../observability/summary';
import { metricsQuerySchema, metricsSummarySchema } from '../schemas/operations';
import { checkHealth } from '../services/dependency-checks';

const api = createApi();
api.use('*', authenticate, requireAdmin);

/** Chained, so the app's type carries every route for the `hc` client (AppType in worker/app.ts). */
export const metricsApi = api.openapi(
  createRoute({
    method: 'get',
    path: '/',
    operationId: 'getMetrics',
    tags: ['Admin'],
    summary: 'Request, cache, rate-limit, WebSocket and D1 metrics of the whole deployment (admin)',
    description:
      'JSON figures cover the last `minutes` minutes. `?format=prometheus` (or `Accept: text/plain`) gives the Prometheus text format with cumulative counters and histograms.',
    security: authenticated,
    request: { query: metricsQuerySchema },
    responses: {
      200: {
        description: 'Metrics',
        content: {
          'application/json': { schema: metricsSummarySchema },
          'text/plain': { schema: z.string().openapi({ description: 'Prometheus text exposition format 0.0.4' }) },
        },
      },
      ...problems(400, 401, 403, 429, 503),
    },
  }),
  async (c) => {
    const { format, minutes } = c.req.valid('query');
    const prometheus = format === 'prometheus' || (format === undefined && /\btext\/plain\b/i.test(c.req.header('Accept') ?? ''));
    // This isolate's own unsent points first, so a reader sees at least its own traffic.
    await flushMetrics(c.env);
    let snapshot: StoreSnapshot;
    // A scrape also runs the health checks (a few ms, in parallel) so alerts need no prober.
    const health = prometheus ? checkHealth(c.env, c.get('requestId')) : undefined;
    // The event figures live in D1; without them the other metrics still answer.
    const events = eventFigures(replicaDb(c.env)).catch((err: unknown) => {
      log.error('metrics could not read the event figures', { requestId: c.get('requestId'), error: errorMessage(err) });
      return null;
    });
    try {
      snapshot = await metricsSnapshot(c.env, minutes);
    } catch (err) {
      throw new ServiceUnavailableError('The metrics store did not answer; retry shortly. /api/v1/health shows the other dependencies.', {
        cause: err,
      });
    }
    c.header('Cache-Control', 'no-store');
    if (health) {
      return c.text(renderPrometheus(snapshot.totals, await health, (await events) ?? undefined, c.env.ENVIRONMENT), 200, {
        'Content-Type': PROMETHEUS_CONTENT_TYPE,
      });
    }
    return c.json({ ...summarize(snapshot), events: await events }, 200);
  },
);
