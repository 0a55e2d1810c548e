import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env';
import { sessionCookieToken } from '../auth/session-cookie';
import { ForbiddenError } from '../errors';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/**
 * Fetch Metadata values a browser sends for a request the Foyer page (or the user) made.
 * `same-site` is refused: a sibling subdomain is another party, and SameSite=Lax sends the
 * cookie to it all the same. https://w3c.github.io/webappsec-fetch-metadata/#sec-fetch-site-header
 */
const OWN_SITE_FETCHES = new Set(['same-origin', 'none']);

/**
 * Defence in depth beside SameSite=Lax and the JSON content type: a change made with the session
 * cookie (not a bearer token) must come from Foyer's own origin. A browser says where a request
 * comes from (`Sec-Fetch-Site`, `Origin`); a request with neither header is a program or an old
 * browser and passes, as does every bearer-authenticated one (a token is never sent ambiently).
 *
 * @example
 * app.use('/api/v1/*', refuseCrossSite);
 */
export const refuseCrossSite = createMiddleware<AppEnv>(async function refuseCrossSite(c, next) {
  if (UNSAFE_METHODS.has(c.req.method) && !c.req.header('Authorization') && sessionCookieToken(c) !== undefined) {
    const site = c.req.header('Sec-Fetch-Site');
    const origin = c.req.header('Origin');
    if ((site !== undefined && !OWN_SITE_FETCHES.has(site)) || (origin !== undefined && origin !== new URL(c.req.url).origin)) {
      throw new ForbiddenError(
        'Changes made with the session cookie must come from the Foyer page; this request came from another site. ' +
          'A program should send `Authorization: Bearer <jwt>` instead.',
      );
    }
  }
  await next();
});
