import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { requestId } from 'hono/request-id';
import type { AppEnv } from './app-env';
import { MethodNotAllowedError, NotFoundError, PayloadTooLargeError } from './errors';
import { errorResponse, onError, problemResponse } from './http/problem';
import { apiHeaders } from './middleware/api-headers';
import { identify } from './middleware/authenticate';
import { observe } from './middleware/observe';
import { rateLimit, rateLimitPages } from './middleware/rate-limit';
import { refuseCrossSite } from './middleware/refuse-cross-site';
import { refuseUnsafeConfig } from './middleware/refuse-unsafe-config';
import { requireJson } from './middleware/require-json';
import { adminCacheApi } from './routes/admin-cache';
import { adminEventsApi } from './routes/admin-events';
import { adminFlagsApi } from './routes/admin-flags';
import { adminPage } from './routes/admin-page';
import { docsApp } from './routes/docs';
import { eventsApi } from './routes/events';
import { feedApi } from './routes/feed';
import { healthApi } from './routes/health';
import { introPageApi } from './routes/intro-page';
import { loginApp } from './routes/login';
import { metricsApi } from './routes/metrics';
import { openApiDocumentApp } from './routes/openapi';
import { pageApp } from './routes/page';
import { preferencesApi } from './routes/preferences';
import { tasksApi } from './routes/tasks';
import { usersApi } from './routes/users';

export const API_PREFIX = '/api/v1';
/** Largest JSON body accepted; a task or a preference patch is well under 1 KiB. */
export const MAX_BODY_BYTES = 64 * 1024;

export function createApp() {
  const app = new OpenAPIHono<AppEnv>();

  // The request id: the caller's when sane (word characters, `-`, `=`; at most 128), else a UUID.
  app.use(requestId({ limitLength: 128 }));
  // Trace context, the log line and the HTTP metrics.
  app.use(observe);
  // A path some route answers, asked with another method: 405 with Allow (RFC 9110 §15.5.6).
  app.use(methodNotAllowed({ app, onMethodNotAllowed: (c, allowed) => problemResponse(c, new MethodNotAllowedError(allowed)) }));
  app.use(refuseUnsafeConfig);
  // Who is calling, resolved once; then every API request is counted for that principal.
  app.use(`${API_PREFIX}/*`, apiHeaders);
  app.use(`${API_PREFIX}/*`, identify, rateLimit(API_PREFIX));
  // A change made with the session cookie from another site (or a sibling subdomain) is refused.
  app.use(`${API_PREFIX}/*`, refuseCrossSite);
  // The HTML routes are limited too (per signed-in user, else per address). Hono's `/admin/*`
  // also matches `/admin`; listing both would count a request twice.
  for (const page of ['/', '/login', '/logout', '/admin/*']) app.use(page, identify, rateLimitPages);
  app.use(
    `${API_PREFIX}/*`,
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => problemResponse(c, new PayloadTooLargeError(`Bodies are limited to ${MAX_BODY_BYTES} bytes.`)),
    }),
  );
  app.use(`${API_PREFIX}/*`, requireJson);

  // Chained, so the returned app's type lists every /api/v1 route for Hono's `hc` client (AppType).
  const api = app
    .route(`${API_PREFIX}/intro-page`, introPageApi)
    .route(`${API_PREFIX}/tasks`, tasksApi)
    .route(`${API_PREFIX}/users`, preferencesApi)
    .route(`${API_PREFIX}/users`, usersApi)
    .route(`${API_PREFIX}/events`, eventsApi)
    .route(`${API_PREFIX}/feed`, feedApi)
    .route(`${API_PREFIX}/health`, healthApi)
    .route(`${API_PREFIX}/metrics`, metricsApi)
    .route(`${API_PREFIX}/admin/cache`, adminCacheApi)
    .route(`${API_PREFIX}/admin/flags`, adminFlagsApi)
    .route(`${API_PREFIX}/admin`, adminEventsApi);

  // Generated at build time from these routes (worker/http/openapi-document.ts), served as a file.
  app.route(`${API_PREFIX}/openapi.json`, openApiDocumentApp);
  app.route('/docs', docsApp);
  app.route('/', pageApp);
  app.route('/', loginApp);
  app.route('/admin', adminPage);

  // A browser gets a page with a way home; a program gets problem+json (http/problem.ts).
  app.notFound((c) =>
    errorResponse(
      c,
      new NotFoundError(`No route ${c.req.method} ${c.req.path}; see /api/v1/openapi.json.`),
      `There is no page at ${c.req.path}. Check the address, or go back to your page.`,
    ),
  );
  app.onError(onError);
  return api;
}

export const app = createApp();

/**
 * The API's type, for Hono's RPC client: request bodies, params, query and every answer
 * (problem documents included) of each /api/v1 route, derived from the same zod schemas that
 * validate requests. Consumers use it through client/ (`createFoyerClient`).
 *
 * @example
 * const client = hc<AppType>('https://foyer.example.com', { headers: { Authorization: `Bearer ${token}` } });
 * const res = await client.api.v1.tasks.$post({ json: { title: 'Water the plants' } });
 */
export type AppType = typeof app;
