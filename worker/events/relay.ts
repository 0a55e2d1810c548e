import { lt, sql } from 'drizzle-orm';
import { dailyActiveUsers, dailyCounters, eventFailures, processedEvents } from '../../drizzle/schema';
import { createDb, type Database } from '../db/client';
import { log } from '../observability/log';
import { overdueRows, PRUNE_BATCH, pruneSent, RELAY_BATCH, rowToDomainEvent } from './outbox';
import { publishEvents } from './publish';

/** Idempotency records outlive the longest a message can stay in a queue (14 days of retention). */
export const PROCESSED_RETENTION_MS = 15 * 24 * 60 * 60 * 1000;
/** Daily counters and active-user rows are kept for this many days. */
export const COUNTER_RETENTION_DAYS = 35;
/** Activity events are kept this many days (each user's newest always stays: ids go on from it). */
export const ACTIVITY_RETENTION_DAYS = 90;
/** Rows one pruning statement deletes, so no statement holds D1's single writer for long. */
export const ACTIVITY_PRUNE_BATCH = 1000;
/**
 * Wall time one cron run spends looping relay batches (then pruning batches), so the drain rate
 * follows the backlog: well inside a Cron Trigger's limits, and done long before the next run
 * a minute later. The relay goes first; each pruning loop runs at least one batch per run.
 */
export const RUN_TIME_BUDGET_MS = 20_000;

export interface RelayReport {
  relayed: number;
  /** Relay batches sent this run (RELAY_BATCH rows each, the last one fewer). */
  batches: number;
  pruned: number;
  prunedEvents: number;
}

/**
 * The outbox relay, run by the Cron Trigger every minute (wrangler.toml `[triggers]`): sends
 * every row no consumer has received RELAY_AFTER_MS after it committed (its isolate died, the
 * send failed, or the consumer is that far behind: it then gets the event twice and applies it
 * once), batch after batch, oldest first, until none is left or RUN_TIME_BUDGET_MS is spent;
 * then prunes what is old: sent outbox rows after a day, activity events after 90 days,
 * idempotency records after 15 days, counters after 35 (docs/events.md#outbox).
 */
export async function runRelay(env: Env, now = Date.now()): Promise<RelayReport> {
  const db = createDb(env.DB);
  // Date.now() moves on with each I/O in a Worker, which is all this loop does.
  const deadline = Date.now() + RUN_TIME_BUDGET_MS;
  let relayed = 0;
  let batches = 0;
  let oldest: string | undefined;
  for (;;) {
    const rows = await overdueRows(db, now);
    if (!rows.length) break;
    await publishEvents(env, rows.map(rowToDomainEvent), { relayed: true, now });
    oldest ??= rows[0]!.id;
    relayed += rows.length;
    batches++;
    if (rows.length < RELAY_BATCH || Date.now() >= deadline) break;
  }
  if (relayed) log.warn('outbox relay sent events the request did not', { count: relayed, batches, oldest });
  const pruned = await drain(() => pruneSent(db, now), PRUNE_BATCH, deadline);
  const prunedEvents = await drain(() => pruneActivityEvents(db, now), ACTIVITY_PRUNE_BATCH, deadline);
  const oldDay = new Date(now - COUNTER_RETENTION_DAYS * 86_400_000).toISOString().slice(0, 10);
  await db.batch([
    db.delete(processedEvents).where(lt(processedEvents.appliedAt, new Date(now - PROCESSED_RETENTION_MS))),
    db.delete(eventFailures).where(lt(eventFailures.updatedAt, new Date(now - PROCESSED_RETENTION_MS))),
    db.delete(dailyCounters).where(lt(dailyCounters.day, oldDay)),
    db.delete(dailyActiveUsers).where(lt(dailyActiveUsers.day, oldDay)),
  ]);
  return { relayed, batches, pruned, prunedEvents };
}

/** Runs a bounded delete until it deletes less than a full batch or the deadline passes (at least once). */
async function drain(deleteBatch: () => Promise<number>, batch: number, deadline: number): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await deleteBatch();
    total += n;
    if (n < batch || Date.now() >= deadline) return total;
  }
}

/**
 * Deletes up to ACTIVITY_PRUNE_BATCH events older than ACTIVITY_RETENTION_DAYS, never a user's
 * newest (the next id is max + 1: without it ids would restart and resumed feeds would skip).
 * The created_at index finds the old rows; the primary key answers each user's max.
 */
export async function pruneActivityEvents(db: Database, now = Date.now()): Promise<number> {
  const cutoff = now - ACTIVITY_RETENTION_DAYS * 86_400_000;
  const result = await db.run(sql`delete from activity_events where rowid in (
    select e.rowid from activity_events e
    where e.created_at < ${cutoff}
      and e.id < (select max(m.id) from activity_events m where m.user_id = e.user_id)
    limit ${ACTIVITY_PRUNE_BATCH})`);
  return result.meta.changes ?? 0;
}
