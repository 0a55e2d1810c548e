import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';

/** The session cookie on the local http://127.0.0.1 server. */
export const SESSION_COOKIE = 'foyer_session';
/**
 * Everywhere else: the `__Host-` prefix makes the browser refuse the cookie unless it is Secure,
 * has Path=/ and no Domain, so no sibling subdomain can set or shadow it
 * (https://httpwg.org/http-extensions/draft-ietf-httpbis-rfc6265bis.html#name-the-__host-prefix).
 */
export const HOST_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

export function sessionCookieName(env: Pick<Env, 'ENVIRONMENT'>): string {
  return env.ENVIRONMENT === 'local' ? SESSION_COOKIE : HOST_SESSION_COOKIE;
}

/** The session token this environment's cookie carries, if any. */
export function sessionCookieToken<E extends { Bindings: Env }>(c: Context<E>): string | undefined {
  return getCookie(c, sessionCookieName(c.env));
}
