import { z } from '@hono/zod-openapi';
import { eventFiguresSchema } from '../events/figures';
import { CHECK_NAMES } from '../services/dependency-checks';

const checkSchema = z
  .object({
    status: z.enum(['ok', 'slow', 'down']).openapi({ description: '`slow`: answered over budget; `down`: failed or no answer within 2 s' }),
    latencyMs: z.number(),
    budgetMs: z.number(),
    error: z.string().optional().openapi({
      description:
        'When down (the cause is in the log line of this request id), or why a figure (the queue backlog or lag) is over its threshold',
    }),
  })
  .openapi('HealthCheck');

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded', 'down']),
    checks: z
      .object(Object.fromEntries(CHECK_NAMES.map((n) => [n, checkSchema])) as Record<(typeof CHECK_NAMES)[number], typeof checkSchema>)
      .optional()
      .openapi({ description: 'Only for a caller with role admin' }),
    backup: z
      .object({
        lastGoodAt: z.iso.datetime().nullable(),
        ageSeconds: z.number().int().nullable(),
        manifest: z.string().nullable().openapi({ description: 'R2 key of its manifest, for `npm run restore -- --from`' }),
        error: z.string().optional(),
      })
      .optional()
      .openapi('BackupStatus', {
        description:
          'The last verified D1 backup (`npm run backup -- --to-r2`); null fields when none was recorded. Informational: it never changes `status`. Only for a caller with role admin.',
      }),
  })
  .openapi('Health');

export const metricsQuerySchema = z.object({
  format: z
    .enum(['json', 'prometheus'])
    .optional()
    .openapi({ description: 'Default json; `Accept: text/plain` without this parameter also selects prometheus' }),
  minutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(60)
    .default(5)
    .openapi({ description: 'Window of the JSON figures, in minutes (1-60); Prometheus output is always cumulative' }),
});

const latency = { p50Ms: z.number().nullable(), p95Ms: z.number().nullable(), p99Ms: z.number().nullable() };
const routeSchema = z.object({
  method: z.string(),
  route: z.string(),
  requests: z.number(),
  errors: z.number(),
  clientErrors: z.number(),
  errorRate: z.number(),
  ...latency,
});

export const metricsSummarySchema = z
  .object({
    generatedAt: z.string(),
    since: z.string(),
    windowMinutes: z.number(),
    http: routeSchema.extend({ routes: z.array(routeSchema) }),
    cache: z.object({
      hitRate: z.number().nullable(),
      layers: z.array(
        z.object({ layer: z.string(), hits: z.number(), misses: z.number(), stale: z.number(), hitRate: z.number().nullable() }),
      ),
    }),
    rateLimit: z.object({ rejections: z.number() }),
    websocket: z.object({ open: z.number(), opened: z.number(), closed: z.number(), messagesIn: z.number(), messagesOut: z.number() }),
    d1: z.object({ queries: z.number(), errors: z.number(), totalMs: z.number(), ...latency }),
    timeline: z.array(
      z.object({
        at: z.string(),
        requests: z.number(),
        errors: z.number(),
        p95Ms: z.number().nullable(),
        cacheHitRate: z.number().nullable(),
      }),
    ),
    events: eventFiguresSchema
      .nullable()
      .openapi({ description: 'The domain event pipeline over 24 h (as GET /api/v1/admin/events); null when D1 did not answer' }),
  })
  .openapi('Metrics');
