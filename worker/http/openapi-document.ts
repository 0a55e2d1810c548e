import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env';

/**
 * The document's tags, in the explorer's order; every operation names one (test/api/openapi.test.ts
 * holds them to this list).
 */
export const OPENAPI_TAGS = [
  { name: 'Page', description: "A person's assembled intro page and the health of its sections." },
  { name: 'Tasks', description: "The caller's own tasks; each write records an activity event." },
  { name: 'Preferences', description: 'Theme, hidden and ordered sections, locale and time zone of a page.' },
  { name: 'Users', description: 'Registering users (admin).' },
  { name: 'Feed', description: "The caller's live activity feed over a WebSocket." },
  { name: 'Events', description: 'The catalog of domain event types and their JSON Schemas (public).' },
  { name: 'Health', description: 'Dependency health for monitors (public; admins see each check).' },
  { name: 'Admin', description: 'Operator routes: metrics, the cache, feature flags, the event pipeline and its dead letters.' },
] as const;

export type OpenApiTag = (typeof OPENAPI_TAGS)[number]['name'];

/**
 * The OpenAPI 3.1 document of an app's routes: what `GET /api/v1/openapi.json` serves, built from
 * the same zod schemas that validate requests. Called at build time (scripts/build-openapi.ts
 * writes it into dist/) and by the test that holds the served document to the routes
 * (test/api/openapi.test.ts), never per request: the worker serves the file the build wrote.
 *
 * @example
 * const document = openApiDocument(createApp());
 */
export function openApiDocument(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'sessionCookie', { type: 'apiKey', in: 'cookie', name: 'foyer_session' });
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Foyer API',
      version: '1.0.0',
      description: 'The personalized intro page, its tasks, preferences, live feed and operations. Errors are RFC 9457 problem+json.',
      license: { name: 'MIT', url: 'https://spdx.org/licenses/MIT.html' },
    },
    tags: OPENAPI_TAGS.map((tag) => ({ ...tag })),
    servers: [{ url: '/' }],
  });
}
