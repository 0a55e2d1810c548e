import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { type ActivityEventRow, activityEvents, tasks, users } from '../../drizzle/schema';
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
 *
 * `titleOf` names the user's task whose title the payload carries (`title`), read inside the
 * batch: the title as the statements before left it, so a reloaded feed still says what the
 * event was about after a rename or delete. The event is recorded only if that task exists.
 */
export function appendEvent(
  db: Database,
  userId: string,
  type: ActivityType,
  payload: Record<string, unknown>,
  options: { whenPreviousChanged?: boolean; now?: number; titleOf?: string } = {},
) {
  const nextId = sql<number>`(select coalesce(max(${activityEvents.id}), 0) + 1 from ${activityEvents} where ${activityEvents.userId} = ${userId})`;
  const title =
    options.titleOf === undefined
      ? undefined
      : sql`(select ${tasks.title} from ${tasks} where ${tasks.id} = ${options.titleOf} and ${tasks.ownerId} = ${userId})`;
  const json = JSON.stringify(payload);
  return db
    .insert(activityEvents)
    .select(
      db
        .select({
          userId: users.id,
          id: nextId.as('id'),
          type: sql<string>`${type}`.as('type'),
          payload: (title ? sql<string>`json_set(${json}, '$.title', ${title})` : sql<string>`${json}`).as('payload'),
          createdAt: sql<number>`${options.now ?? Date.now()}`.as('created_at'),
        })
        .from(users)
        .where(
          and(
            eq(users.id, userId),
            options.whenPreviousChanged ? sql`changes() > 0` : undefined,
            title ? sql`${title} is not null` : undefined,
          ),
        ),
    )
    .returning();
}

export function eventFromRow(row: ActivityEventRow): ActivityEvent {
  return toActivityEvent(row);
}

/**
 * A user's events after `afterId`, oldest first: what a feed replays when its own log does
 * not reach back far enough, or fills when a hand-off went missing. The primary key
 * (user_id, id) serves it as a range scan.
 */
export async function eventsAfter(db: Database, userId: string, afterId: number, limit: number): Promise<ActivityEvent[]> {
  const rows = await db
    .select({ id: activityEvents.id, type: activityEvents.type, payload: activityEvents.payload, createdAt: activityEvents.createdAt })
    .from(activityEvents)
    .where(and(eq(activityEvents.userId, userId), gt(activityEvents.id, afterId)))
    .orderBy(asc(activityEvents.id))
    .limit(limit);
  return rows.map(toActivityEvent);
}

/** The newest event id of a user (0 before their first event). */
export async function newestEventId(db: Database, userId: string): Promise<number> {
  const [row] = await db
    .select({ id: sql<number | null>`max(${activityEvents.id})` })
    .from(activityEvents)
    .where(eq(activityEvents.userId, userId));
  return row?.id ?? 0;
}
