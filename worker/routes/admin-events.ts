import { createRoute, z } from '@hono/zod-openapi';
import { createDb } from '../db/client';
import { ServiceUnavailableError } from '../errors';
import { DEAD_LETTER_PAGE, listDeadLetters, replayDeadLetters } from '../events/dead-letters';
import { eventFigures, eventFiguresSchema } from '../events/figures';
import { authenticated, createApi, jsonContent, problems } from '../http/openapi-app';
import { authenticate, requireAdmin } from '../middleware/authenticate';

const api = createApi();
// Only these paths: a `*` at /admin would also run before the cache and flag routes mounted beside it.
for (const path of ['/events', '/dead-letters', '/dead-letters/*']) api.use(path, authenticate, requireAdmin);

const unavailable = (err: unknown): never => {
  throw new ServiceUnavailableError('The event store (D1) is unavailable, so nothing was read or changed; retry in a moment.', {
    cause: err,
  });
};

const deadLetterSchema = z
  .object({
    eventId: z.string().openapi({ description: 'The user id and the event id', example: 'alice:12' }),
    userId: z.string(),
    type: z.string(),
    error: z.string().openapi({ description: 'The last error a consumer recorded for it' }),
    attempts: z.number().int().openapi({ description: 'Deliveries the events consumer made before Queues dead-lettered it' }),
    deadLetteredAt: z.iso.datetime(),
    replayedAt: z.iso.datetime().nullable(),
    replayedBy: z.string().nullable(),
    body: z.record(z.string(), z.unknown()),
  })
  .openapi('DeadLetter');

const replaySchema = z
  .object({
    ids: z
      .array(z.string().min(1).max(200).openapi({ example: 'alice:12' }))
      .min(1)
      .max(DEAD_LETTER_PAGE)
      .optional()
      .openapi({ description: `Event ids to replay; without it, every dead letter not yet replayed (at most ${DEAD_LETTER_PAGE})` }),
  })
  .strict()
  .openapi('ReplayDeadLetters');

/** Chained, so the app's type carries every route for the `hc` client (AppType in worker/app.ts). */
export const adminEventsApi = api
  .openapi(
    createRoute({
      method: 'get',
      path: '/events',
      operationId: 'getEventFigures',
      tags: ['Admin'],
      summary: 'Domain event pipeline figures (admin)',
      description:
        'Over the last 24 h: published (sent to the queue), delivered (applied by a consumer), retried, dead-lettered; lag p50/p95 from commit to applied; ' +
        'the outbox backlog; the same counts by type (docs/operations.md#domain-events).',
      security: authenticated,
      responses: {
        200: { description: 'Figures', ...jsonContent(eventFiguresSchema.openapi('EventFigures')) },
        ...problems(401, 403, 503),
      },
    }),
    async (c) => {
      const figures = await eventFigures(createDb(c.env.DB)).catch(unavailable);
      c.header('Cache-Control', 'no-store');
      return c.json(figures, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/dead-letters',
      operationId: 'listDeadLetters',
      tags: ['Admin'],
      summary: 'Dead-lettered events, newest first (admin)',
      security: authenticated,
      responses: {
        200: {
          description: 'Dead letters',
          ...jsonContent(z.object({ deadLetters: z.array(deadLetterSchema) }).openapi('DeadLetterList')),
        },
        ...problems(401, 403, 503),
      },
    }),
    async (c) => {
      const rows = await listDeadLetters(createDb(c.env.DB)).catch(unavailable);
      c.header('Cache-Control', 'no-store');
      return c.json(
        {
          deadLetters: rows.map((r) => ({
            ...r,
            deadLetteredAt: r.deadLetteredAt.toISOString(),
            replayedAt: r.replayedAt?.toISOString() ?? null,
          })),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/dead-letters/replay',
      operationId: 'replayDeadLetters',
      tags: ['Admin'],
      summary: 'Re-enqueue dead-lettered events (admin; audited, idempotent)',
      description:
        'Sends each dead letter not replayed since it arrived back to the events queue and stamps it replayed; the replay is audited. ' +
        'Replaying again sends nothing twice, and the consumer applies an event id once in any case.',
      security: authenticated,
      request: { body: { required: true, ...jsonContent(replaySchema) } },
      responses: {
        200: {
          description:
            'What was sent back to the queue, which asked-for ids were not replayable (unknown or already replayed), and whether the replay ' +
            'was stamped and audited (`recorded: false`: the events were sent but the record failed; replaying again resends them, applied once)',
          ...jsonContent(
            z.object({ replayed: z.array(z.string()), skipped: z.array(z.string()), recorded: z.boolean() }).openapi('ReplayResult'),
          ),
        },
        ...problems(400, 401, 403, 415, 503),
      },
    }),
    async (c) => {
      const { ids } = c.req.valid('json');
      const result = await replayDeadLetters(c.env, createDb(c.env.DB), c.get('principal').userId, ids).catch(unavailable);
      return c.json(result, 200);
    },
  );
