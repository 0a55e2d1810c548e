import { createDb, type Database } from './client';

/**
 * Where each D1 query goes once read replication is on (D1 Sessions API:
 * https://developers.cloudflare.com/d1/best-practices/read-replication/). A query made on the
 * binding itself, outside a session, always goes to the primary; that stays the rule for the
 * Durable Objects, the audit trail and the health probe. Everything the routes do goes
 * through one of these two:
 *
 * - `primaryDb`: writes. The session starts at the primary, so the write is applied there, and
 *   `bookmark()` afterwards names the database state that includes it. The write's response
 *   hands that bookmark back beside the version token (worker/http/version-token.ts).
 * - `replicaDb`: reads. With the caller's bookmark, the session waits for (or picks) a replica
 *   at least that new, so a user's read after their own write sees it on any replica; without
 *   one, `first-unconstrained` lets the nearest replica answer at once.
 *
 * With replication off (the default, and always locally) every session is served by the
 * primary and the bookmarks are still real, so the same code and tests run either way.
 */
export interface PrimaryDb {
  db: Database;
  /** The bookmark of the newest state this session wrote or read; null before its first query. */
  bookmark(): string | null;
}

export function primaryDb(env: Pick<Env, 'DB'>): PrimaryDb {
  const session = env.DB.withSession('first-primary');
  return { db: createDb(session), bookmark: () => session.getBookmark() };
}

/** A read session: at least as new as `bookmark` when one is given, else the nearest replica. */
export function replicaDb(env: Pick<Env, 'DB'>, bookmark?: string): Database {
  return createDb(env.DB.withSession(bookmark ?? 'first-unconstrained'));
}
