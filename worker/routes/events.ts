import { createRoute, z } from '@hono/zod-openapi';
import { eventCatalog } from '../events/catalog';
import { createApi, jsonContent, problems, publicAccess } from '../http/openapi-app';

const catalogSchema = z
  .object({
    events: z.array(
      z.object({
        type: z.string(),
        version: z.number().int(),
        producer: z.string(),
        consumers: z.array(z.string()),
        schema: z.record(z.string(), z.unknown()).openapi({ description: 'JSON Schema (draft 2020-12) of the whole event' }),
      }),
    ),
  })
  .openapi('EventCatalog');

/** Chained, so the app's type carries every route for the `hc` client (AppType in worker/app.ts). */
export const eventsApi = createApi().openapi(
  createRoute({
    method: 'get',
    path: '/catalog',
    operationId: 'getEventCatalog',
    tags: ['Events'],
    summary: 'JSON Schemas of every domain event type',
    description:
      'The same schemas the queue consumer validates with, and docs/events.md is generated from. Public: it describes shapes, not data.',
    security: publicAccess,
    responses: { 200: { description: 'The catalog', ...jsonContent(catalogSchema) }, ...problems(429) },
  }),
  (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.json({ events: eventCatalog() }, 200);
  },
);
