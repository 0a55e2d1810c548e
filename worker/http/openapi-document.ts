import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env';

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
    },
    servers: [{ url: '/' }],
  });
}
