import { lt } from 'drizzle-orm';
import { dailyActiveUsers, dailyCounters, eventFailures, processedEvents } from '../../drizzle/schema';
import { createDb } from '../db/client';
import { log } from '../observability/log';
import { overdueRows, pruneSent, rowToDomainEvent } from './outbox';
import { publishEvents } from './publish';

/** Idempotency records outlive the longest a message can stay in a queue (14 days of retention). */
export const PROCESSED_RETENTION_MS = 15 * 24 * 60 * 60 * 1000;
/** Daily counters and active-user rows are kept for this many days. */
export const COUNTER_RETENTION_DAYS = 35;

export interface RelayReport {
  relayed: number;
  pruned: number;
}

/**
 * The outbox relay, run by the Cron Trigger every minute (wrangler.toml `[triggers]`): sends
 * every row no consumer has received RELAY_AFTER_MS after it committed (its isolate died, the
 * send failed, or the consumer is that far behind: it then gets the event twice and applies it
 * once), then prunes what is old: sent outbox rows after a day, idempotency records after
 * 15 days, counters after 35. Each run is bounded (RELAY_BATCH, PRUNE_BATCH), so a large
 * backlog drains over several runs (docs/events.md#outbox).
 */
export async function runRelay(env: Env, now = Date.now()): Promise<RelayReport> {
  const db = createDb(env.DB);
  const rows = await overdueRows(db, now);
  await publishEvents(env, rows.map(rowToDomainEvent), { relayed: true, now });
  if (rows.length) log.warn('outbox relay sent events the request did not', { count: rows.length, oldest: rows[0]!.id });
  const pruned = await pruneSent(db, now);
  const oldDay = new Date(now - COUNTER_RETENTION_DAYS * 86_400_000).toISOString().slice(0, 10);
  await db.batch([
    db.delete(processedEvents).where(lt(processedEvents.appliedAt, new Date(now - PROCESSED_RETENTION_MS))),
    db.delete(eventFailures).where(lt(eventFailures.updatedAt, new Date(now - PROCESSED_RETENTION_MS))),
    db.delete(dailyCounters).where(lt(dailyCounters.day, oldDay)),
    db.delete(dailyActiveUsers).where(lt(dailyActiveUsers.day, oldDay)),
  ]);
  return { relayed: rows.length, pruned };
}
