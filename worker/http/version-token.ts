import type { Context } from 'hono';
import { setCookie } from 'hono/cookie';
import { parse } from 'hono/utils/cookie';
import type { AppEnv } from '../app-env';
import { cookieOptions } from './cookies';

/**
 * The read-your-writes token, as HTTP carries it. A user's version is the id of their newest
 * activity event: every task and preference write appends one in the same D1 batch, and ids grow
 * by one per user, so the write path knows the new version without another query. The write's
 * response hands it back (header and cookie); the next page read sends it, and the cache then
 * accepts only a fragment at least that new (worker/cache). The read path gets the version from
 * the request itself: no D1, no KV, no object round trip.
 */
export const VERSION_HEADER = 'Foyer-Version';
export const VERSION_COOKIE = 'foyer_v';
/**
 * The D1 bookmark of the same write (worker/db/sessions.ts), beside the version rather than in
 * it, so the version's header and cookie keep their format. A read that brings it back opens
 * its D1 session at that bookmark: sequentially consistent with the write on any replica.
 */
export const BOOKMARK_HEADER = 'Foyer-Bookmark';
export const BOOKMARK_COOKIE = 'foyer_b';
/** D1 bookmarks are hex fields joined by hyphens; anything else is not passed on to D1. */
const BOOKMARK = /^[0-9A-Za-z-]{1,128}$/;

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
 * Where `userId`'s next D1 read must start: the bookmark the caller brought back for this user
 * (the header, else the cookie, which names the user it was written for); else the primary when
 * the caller knows a version of theirs but not its bookmark (a client that keeps only
 * `Foyer-Version`); else undefined: the nearest replica will do.
 */
export function readPosition(c: RequestHeaders, userId: string, minVersion: number): string | undefined {
  const header = c.req.header(BOOKMARK_HEADER)?.trim();
  if (header && BOOKMARK.test(header)) return header;
  const cookieHeader = c.req.header('Cookie');
  const cookie = cookieHeader ? parse(cookieHeader, BOOKMARK_COOKIE)[BOOKMARK_COOKIE] : undefined;
  if (cookie) {
    const dot = cookie.lastIndexOf('.');
    const value = cookie.slice(dot + 1);
    if (dot > 0 && cookie.slice(0, dot) === userId && BOOKMARK.test(value)) return value;
  }
  return minVersion > 0 ? 'first-primary' : undefined;
}

/**
 * After a committed write, before its response is built: hands the new `version` (the committed
 * event's id) and the write's D1 `bookmark`, when it has one, back to the caller as headers and
 * cookies, like D1's Sessions API hands back a bookmark.
 */
export function setVersionToken(c: Context<AppEnv>, userId: string, version: number, bookmark?: string | null): void {
  c.header(VERSION_HEADER, String(version));
  setCookie(c, VERSION_COOKIE, `${userId}.${version}`, { ...cookieOptions(c.env), maxAge: 24 * 60 * 60 });
  if (bookmark && BOOKMARK.test(bookmark)) {
    c.header(BOOKMARK_HEADER, bookmark);
    setCookie(c, BOOKMARK_COOKIE, `${userId}.${bookmark}`, { ...cookieOptions(c.env), maxAge: 24 * 60 * 60 });
  }
}
