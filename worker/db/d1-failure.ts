/**
 * What a D1 error means for the caller. D1 reports everything as an `Error` whose message
 * carries the cause (`D1_ERROR: database is locked: SQLITE_BUSY`, `D1_ERROR: Network connection
 * lost.`, `D1 DB is overloaded. Requests queued for too long.`); drizzle may wrap it as `cause`.
 * The retryable ones are listed at https://developers.cloudflare.com/d1/observability/debug-d1/#error-list.
 *
 * - `unavailable`: the database could not serve the statement at all. A write batch is one
 *   transaction, so nothing of it was applied, and the client may retry: 503 + Retry-After.
 * - `unknown-owner`: a foreign key refused the row (the token names a user who is not in D1).
 * - undefined: a bug or a constraint we do not expect; it stays an internal error.
 */
export type D1Failure = 'unavailable' | 'unknown-owner';

const UNAVAILABLE =
  /SQLITE_BUSY|SQLITE_LOCKED|database is locked|Network connection lost|overloaded|Requests queued for too long|exceeded timeout|timed out|Cannot resolve D1|internal error|reset because its code was updated|storage caused object to be reset|Durable Object reset|D1 is unavailable/i;
const FOREIGN_KEY = /FOREIGN KEY constraint failed|SQLITE_CONSTRAINT_FOREIGNKEY/i;

/** Seconds a client should wait before retrying a write refused because D1 was unavailable. */
export const D1_RETRY_AFTER_SECONDS = 5;

export function classifyD1Failure(err: unknown): D1Failure | undefined {
  // drizzle wraps driver errors (`Failed query: …`, cause = the D1 error); look a few levels down.
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (FOREIGN_KEY.test(current.message)) return 'unknown-owner';
    if (UNAVAILABLE.test(current.message)) return 'unavailable';
    current = current.cause;
  }
  return undefined;
}
