import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { cookieOptions } from '../http/cookies';
import { SESSION_COOKIE } from '../middleware/authenticate';
import type { Principal } from './principal';
import { signToken } from './sign-token';
import { verifyToken } from './verify-token';

type SessionEnv = { Bindings: Env };

/** How long a /login session lasts; the cookie and the token expire together. */
export const SESSION_TTL_SECONDS = 8 * 3600;

/** Environments where /login may mint sessions; elsewhere the identity provider issues tokens. */
export const LOGIN_ENVIRONMENTS: readonly string[] = ['local', 'dev'];

export function loginEnabled(env: Pick<Env, 'ENVIRONMENT'>): boolean {
  return LOGIN_ENVIRONMENTS.includes(env.ENVIRONMENT);
}

/** The principal of a valid session cookie, or undefined (no cookie, expired, forged). */
export async function readSession<E extends SessionEnv>(c: Context<E>): Promise<Principal | undefined> {
  const token = getCookie(c, SESSION_COOKIE);
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
  setCookie(c, SESSION_COOKIE, token, { ...cookieOptions(c.env), maxAge: SESSION_TTL_SECONDS });
}

export function endSession<E extends SessionEnv>(c: Context<E>): void {
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c.env));
}
