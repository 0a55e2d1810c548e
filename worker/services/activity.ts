import { and, eq, sql } from 'drizzle-orm';
import { type ActivityEventRow, activityEvents, users } from '../../drizzle/schema';
import type { Database } from '../db/client';
import { type ActivityEvent, type ActivityType, toActivityEvent } from '../schemas/activity-event';

/**
 * The statement that appends a user's next activity event, for the same `db.batch` as the
 * change it records: D1 runs a batch as one transaction, so the change and its event commit
 * together or not at all. The per-user id is allocated inside that transaction (max + 1 over
 * the primary key), and D1 serialises writers, so ids grow by one with no gap.
 *
 * `whenPreviousChanged` makes the insert conditional on the statement just before it having
 * touched a row (SQLite `changes()`), so an update of a missing task records nothing.
 */
export function appendEvent(
  db: Database,
  userId: string,
  type: ActivityType,
  payload: Record<string, unknown>,
  options: { whenPreviousChanged?: boolean; now?: number } = {},
) {
  const nextId = sql<number>`(select coalesce(max(${activityEvents.id}), 0) + 1 from ${activityEvents} where ${activityEvents.userId} = ${userId})`;
  return db
    .insert(activityEvents)
    .select(
      db
        .select({
          userId: users.id,
          id: nextId.as('id'),
          type: sql<string>`${type}`.as('type'),
          payload: sql<string>`${JSON.stringify(payload)}`.as('payload'),
          createdAt: sql<number>`${options.now ?? Date.now()}`.as('created_at'),
        })
        .from(users)
        .where(and(eq(users.id, userId), options.whenPreviousChanged ? sql`changes() > 0` : undefined)),
    )
    .returning();
}

export function eventFromRow(row: ActivityEventRow): ActivityEvent {
  return toActivityEvent(row);
}
