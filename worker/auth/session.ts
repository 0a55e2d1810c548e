import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { decodeJwt } from 'jose';
import { feedOf } from '../feed/protocol';
import { cookieOptions } from '../http/cookies';
import { errorMessage, log } from '../observability/log';
import type { Principal } from './principal';
import { digestOf, revokeToken } from './revocation';
import { sessionCookieName, sessionCookieToken } from './session-cookie';
import { signToken } from './sign-token';
import { forgetVerifiedToken, verifyToken } from './verify-token';

type SessionEnv = { Bindings: Env };

/** How long a /login session lasts; the cookie and the token expire together. */
export const SESSION_TTL_SECONDS = 8 * 3600;

/** Environments where /login may mint sessions; elsewhere the identity provider issues tokens. */
export const LOGIN_ENVIRONMENTS: readonly string[] = ['local', 'dev'];

/**
 * Demo sign-in needs both a local or dev ENVIRONMENT and the explicit `DEMO_LOGIN = "on"`
 * opt-in, so a mislabelled environment alone cannot open a door that mints sessions.
 */
export function loginEnabled(env: Pick<Env, 'ENVIRONMENT' | 'DEMO_LOGIN'>): boolean {
  return LOGIN_ENVIRONMENTS.includes(env.ENVIRONMENT) && env.DEMO_LOGIN?.trim().toLowerCase() === 'on';
}

/** The principal of a valid session cookie, or undefined (no cookie, expired, forged). */
export async function readSession<E extends SessionEnv>(c: Context<E>): Promise<Principal | undefined> {
  const token = sessionCookieToken(c);
  if (!token) return undefined;
  try {
    return await verifyToken(token, c.env);
  } catch {
    return undefined;
  }
}

export async function startSession<E extends SessionEnv>(c: Context<E>, principal: Principal): Promise<void> {
  const token = await signToken(principal, {
    secret: c.env.JWT_SECRET,
    issuer: c.env.JWT_ISSUER,
    audience: c.env.JWT_AUDIENCE,
    ttlSeconds: SESSION_TTL_SECONDS,
  });
  setCookie(c, sessionCookieName(c.env), token, { ...cookieOptions(c.env), maxAge: SESSION_TTL_SECONDS });
}

export function endSession<E extends SessionEnv>(c: Context<E>): void {
  deleteCookie(c, sessionCookieName(c.env), cookieOptions(c.env));
}

/**
 * Signs out: the cookie is cleared and its token revoked, so a copy of the cookie replayed
 * later gets 401, and the feed sockets opened with it are closed before the answer leaves.
 * A token that does not verify needs no revoking; a KV or feed failure is logged and the
 * cookie still cleared (this isolate refuses the token regardless; a socket the feed could
 * not be told about is closed when the token expires).
 */
export async function signOut<E extends SessionEnv>(c: Context<E>): Promise<void> {
  const token = sessionCookieToken(c);
  endSession(c);
  if (!token) return;
  let principal: Principal;
  try {
    principal = await verifyToken(token, c.env);
  } catch {
    return;
  }
  forgetVerifiedToken(token);
  const expSeconds = decodeJwt(token).exp ?? 0;
  const [kv, feed] = await Promise.allSettled([
    revokeToken(c.env.CACHE, token, expSeconds),
    digestOf(token).then((digest) => feedOf(c.env, principal.userId).revoke(digest, expSeconds * 1000)),
  ]);
  if (kv.status === 'rejected') log.error('logout could not record the revocation in KV', { error: errorMessage(kv.reason) });
  if (feed.status === 'rejected') log.error('logout could not close the feed sockets of the session', { error: errorMessage(feed.reason) });
}
