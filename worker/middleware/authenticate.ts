import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env';
import { sessionCookieToken } from '../auth/session-cookie';
import { verifyToken } from '../auth/verify-token';
import { ForbiddenError, UnauthorizedError } from '../errors';

export { SESSION_COOKIE } from '../auth/session-cookie';

/** Reads the bearer token, else the session cookie the browser page carries. */
export function tokenFrom(authorization: string | undefined, cookie: string | undefined): string | undefined {
  // RFC 6750 §2: a client uses one method per request; two credentials make the principal ambiguous.
  if (authorization && cookie) {
    throw new UnauthorizedError('Send one credential: either `Authorization: Bearer <jwt>` or the session cookie, not both.');
  }
  if (authorization) {
    const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization.trim());
    if (!match) throw new UnauthorizedError('Send the token as `Authorization: Bearer <jwt>`.');
    return match[1];
  }
  return cookie || undefined;
}

/**
 * Resolves the principal once per request, before anything that needs to know who is
 * calling (the rate limiter counts a verified user, else the client address). It never
 * refuses: a missing token leaves `principal` unset, and a bad one is kept as `authFailure`
 * for `authenticate` to raise on routes that require sign-in, so public routes behave as
 * if no token had been sent.
 *
 * @example
 * app.use('/api/v1/*', identify);
 */
export const identify = createMiddleware<AppEnv>(async function identify(c, next) {
  try {
    const token = tokenFrom(c.req.header('Authorization'), sessionCookieToken(c));
    if (token) c.set('principal', await verifyToken(token, c.env));
  } catch (err) {
    c.set('authFailure', err instanceof Error ? err : new Error(String(err)));
  }
  await next();
});

/** Requires a valid token and sets `principal` (reusing what `identify` resolved, if it ran). */
export const authenticate = createMiddleware<AppEnv>(async function authenticate(c, next) {
  if (!c.var.principal) {
    const failure = c.var.authFailure;
    if (failure) throw failure;
    const token = tokenFrom(c.req.header('Authorization'), sessionCookieToken(c));
    if (!token) {
      throw new UnauthorizedError('Sign in: send `Authorization: Bearer <jwt>` (see `npm run token`) or open /login.');
    }
    c.set('principal', await verifyToken(token, c.env));
  }
  await next();
});

/** Requires the admin role; use after `authenticate`. */
export const requireAdmin = createMiddleware<AppEnv>(async function requireAdmin(c, next) {
  if (c.get('principal').role !== 'admin') throw new ForbiddenError('This route is for operators (role admin).');
  await next();
});
