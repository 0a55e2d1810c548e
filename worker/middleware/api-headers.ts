import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env';

/**
 * Headers every /api response carries, errors and 429s included:
 * - `X-Content-Type-Options: nosniff`, so a browser never reads JSON as script or HTML.
 * - `Cache-Control: private, no-store` unless the route chose its own: API answers are
 *   personal or operational, and no shared cache may keep them. (The intro page keeps
 *   `private, no-cache`: the browser may hold it only to revalidate it by ETag.)
 *
 * @example
 * app.use('/api/v1/*', apiHeaders);
 */
export const apiHeaders = createMiddleware<AppEnv>(async function apiHeaders(c, next) {
  await next();
  const set = (res: Response) => {
    res.headers.set('X-Content-Type-Options', 'nosniff');
    if (!res.headers.has('Cache-Control')) res.headers.set('Cache-Control', 'private, no-store');
  };
  try {
    set(c.res);
  } catch {
    // A fetched response (an object's WebSocket upgrade) has immutable headers.
    if (c.res.status === 101) return;
    const copy = new Response(c.res.body, c.res);
    set(copy);
    c.res = copy;
  }
});
