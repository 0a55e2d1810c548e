import type { Context } from 'hono';
import { setCookie } from 'hono/cookie';
import { parse } from 'hono/utils/cookie';
import type { AppEnv } from '../app-env';
import { cookieOptions } from '../http/cookies';
import { errorMessage, log } from '../observability/log';
import type { ActivityEvent } from '../schemas/activity-event';
import { fragmentCache } from './fragment-cache';

/**
 * The read-your-writes token. A user's version is the id of their newest activity event:
 * every task and preference write appends one in the same D1 batch, and ids grow by one per
 * user, so the write path knows the new version without another query. The write's response
 * hands it back (header and cookie, like D1's Sessions API hands back a bookmark); the next
 * page read sends it, and the cache then accepts only a fragment at least that new. The read
 * path gets the version from the request itself: no D1, no KV, no object round trip.
 */
export const VERSION_HEADER = 'Foyer-Version';
export const VERSION_COOKIE = 'foyer_v';

/** What reading the token needs from a request: any Hono context (JSON route, HTML page) fits. */
export interface RequestHeaders {
  req: { header(name: string): string | undefined };
}

/** The version the caller has seen written for `userId` (0: none known). */
export function versionHint(c: RequestHeaders, userId: string): number {
  let hint = 0;
  const header = c.req.header(VERSION_HEADER);
  if (header && /^\d{1,15}$/.test(header.trim())) hint = Number(header.trim());
  const cookieHeader = c.req.header('Cookie');
  const cookie = cookieHeader ? parse(cookieHeader, VERSION_COOKIE)[VERSION_COOKIE] : undefined;
  if (cookie) {
    const dot = cookie.lastIndexOf('.');
    const value = cookie.slice(dot + 1);
    if (dot > 0 && cookie.slice(0, dot) === userId && /^\d{1,15}$/.test(value)) hint = Math.max(hint, Number(value));
  }
  return hint;
}

/**
 * After a committed write, before its response is built: hands the new version back to the
 * caller (header and cookie), records it in this isolate, and starts the write-through that
 * computes the writer's fresh bundle in `waitUntil` (their next page is then most likely a hit);
 * given the committed `event`, from the bundle this isolate holds plus the sections it changes.
 */
export function handBackVersion(c: Context<AppEnv>, userId: string, version: number, event?: ActivityEvent): void {
  c.header(VERSION_HEADER, String(version));
  setCookie(c, VERSION_COOKIE, `${userId}.${version}`, { ...cookieOptions(c.env), maxAge: 24 * 60 * 60 });
  fragmentCache.noteVersion(userId, version);
  const req = { env: c.env, waitUntil: (p: Promise<unknown>) => c.executionCtx.waitUntil(p) };
  c.executionCtx.waitUntil(
    fragmentCache.refreshPersonal(req, userId, version, event).catch((err: unknown) => {
      log.warn('write-through refresh failed', { userId, error: errorMessage(err) });
    }),
  );
}
