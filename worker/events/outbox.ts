import { and, asc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { activityEvents, eventOutbox, type OutboxRow } from '../../drizzle/schema';
import type { Database } from '../db/client';
import type { ActivityEvent } from '../schemas/activity-event';
import { type DomainEvent, EVENT_VERSION } from './catalog';

/** An outbox row unsent this long is the relay's to send (the after-commit send had its chance). */
export const RELAY_AFTER_MS = 30_000;
/** Sent rows are kept this long (the admin figures read them), then each cron run prunes them. */
export const OUTBOX_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Bounds of one cron run, so a backlog drains over several runs instead of one long invocation. */
export const RELAY_BATCH = 100;
export const PRUNE_BATCH = 1000;

export function eventIdOf(userId: string, seq: number): string {
  return `${userId}:${seq}`;
}

/**
 * The statement that copies a user's newest activity event into the outbox, for the same
 * `db.batch` right after `appendEvent` (worker/services/activity.ts): D1 runs a batch as one
 * transaction, so the change, its activity event and its outbox row commit together or not at
 * all. `changes() > 0` makes it a no-op when `appendEvent` inserted nothing (a missing task).
 */
export function outboxStatement(db: Database, userId: string) {
  const newest = sql`(select max(${activityEvents.id}) from ${activityEvents} where ${activityEvents.userId} = ${userId})`;
  return db
    .insert(eventOutbox)
    .select(
      db
        .select({
          id: sql<string>`${activityEvents.userId} || ':' || ${activityEvents.id}`.as('id'),
          userId: activityEvents.userId,
          seq: activityEvents.id,
          type: activityEvents.type,
          version: sql<number>`${EVENT_VERSION}`.as('version'),
          payload: activityEvents.payload,
          occurredAt: activityEvents.createdAt,
          sentAt: sql<null>`null`.as('sent_at'),
          relayed: sql<number>`0`.as('relayed'),
        })
        .from(activityEvents)
        .where(and(eq(activityEvents.userId, userId), sql`${activityEvents.id} = ${newest}`, sql`changes() > 0`)),
    )
    .onConflictDoNothing();
}

/** The queue message of an activity event (the body carries the event id: Queues assigns its own message ids). */
export function toDomainEvent(userId: string, event: ActivityEvent): DomainEvent {
  return {
    id: eventIdOf(userId, event.id),
    type: event.type,
    version: EVENT_VERSION,
    occurredAt: event.createdAt,
    userId,
    seq: event.id,
    payload: event.payload,
  } as DomainEvent;
}

export function rowToDomainEvent(row: OutboxRow): DomainEvent {
  return {
    id: row.id,
    type: row.type,
    version: row.version,
    occurredAt: row.occurredAt.toISOString(),
    userId: row.userId,
    seq: row.seq,
    payload: row.payload,
  } as DomainEvent;
}

/** Ids per UPDATE: D1 binds at most 100 parameters per statement, and the stamp takes one. */
const MARK_SENT_CHUNK = 90;

export async function markSent(db: Database, ids: string[], now = Date.now(), relayed = false): Promise<void> {
  if (!ids.length) return;
  const set = { sentAt: new Date(now), ...(relayed ? { relayed: sql`${eventOutbox.relayed} + 1` } : {}) };
  const updates = [];
  for (let i = 0; i < ids.length; i += MARK_SENT_CHUNK) {
    updates.push(
      db
        .update(eventOutbox)
        .set(set)
        .where(inArray(eventOutbox.id, ids.slice(i, i + MARK_SENT_CHUNK))),
    );
  }
  // One batch: one round trip and one transaction, however many chunks.
  await db.batch(updates as [(typeof updates)[number], ...(typeof updates)[number][]]);
}

/** A user's rows not yet sent, oldest first: what a consumer that wrote events of its own sends at once. */
export async function unsentRowsOf(db: Database, userId: string): Promise<OutboxRow[]> {
  return db
    .select()
    .from(eventOutbox)
    .where(and(eq(eventOutbox.userId, userId), isNull(eventOutbox.sentAt)))
    .orderBy(asc(eventOutbox.seq))
    .limit(RELAY_BATCH);
}

/** Rows unsent for longer than RELAY_AFTER_MS, oldest first (the partial index event_outbox_unsent_idx). */
export async function overdueRows(db: Database, now = Date.now(), limit = RELAY_BATCH): Promise<OutboxRow[]> {
  return db
    .select()
    .from(eventOutbox)
    .where(and(isNull(eventOutbox.sentAt), lt(eventOutbox.occurredAt, new Date(now - RELAY_AFTER_MS))))
    .orderBy(asc(eventOutbox.occurredAt), asc(eventOutbox.userId), asc(eventOutbox.seq))
    .limit(limit);
}

/** Deletes up to PRUNE_BATCH rows sent more than OUTBOX_RETENTION_MS ago; answers how many. */
export async function pruneSent(db: Database, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - OUTBOX_RETENTION_MS);
  const old = db.select({ id: eventOutbox.id }).from(eventOutbox).where(lt(eventOutbox.sentAt, cutoff)).limit(PRUNE_BATCH);
  const deleted = await db.delete(eventOutbox).where(inArray(eventOutbox.id, old)).returning({ id: eventOutbox.id });
  return deleted.length;
}
