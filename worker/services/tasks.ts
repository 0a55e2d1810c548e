import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { type ActivityEventRow, type TaskRow, tasks } from '../../drizzle/schema';
import type { WriteThrough } from '../cache';
import type { Database } from '../db/client';
import { LimitReachedError, NotFoundError } from '../errors';
import { outboxStatement } from '../events/outbox';
import type { ActivityEvent, ActivityType } from '../schemas/activity-event';
import type { CreateTask, UpdateTask } from '../schemas/task';
import { appendEvent, eventFromRow } from './activity';

/** A committed change: the new value and its activity event (its outbox row committed in the same batch). */
export interface Change<T> {
  value: T;
  event: ActivityEvent;
  /** What the `reads` the caller gave returned, in order (they ran in the same batch, after the change). */
  readResults?: unknown[];
}

/** The change's row, its event's row, and the write-through's results from a task write's batch. */
function taskWriteResults(results: unknown[]): { task?: TaskRow; event?: ActivityEventRow; readResults: unknown[] } {
  const [task] = results[0] as TaskRow[];
  const [event] = results[1] as ActivityEventRow[];
  return { task, event, readResults: results.slice(3) };
}

/** Open tasks one user may have (docs/capacity.md): bounds a user's rows and the queries over them. */
export const MAX_OPEN_TASKS = 500;

function taskId(): string {
  return crypto.randomUUID();
}

export async function listTasks(db: Database, ownerId: string, filter: { status?: TaskRow['status']; limit: number }) {
  return db
    .select()
    .from(tasks)
    .where(and(eq(tasks.ownerId, ownerId), filter.status ? eq(tasks.status, filter.status) : undefined))
    .orderBy(asc(tasks.status), sql`${tasks.dueAt} is null`, asc(tasks.dueAt), desc(tasks.createdAt))
    .limit(filter.limit);
}

export async function createTask(
  db: Database,
  ownerId: string,
  input: CreateTask,
  now = Date.now(),
  reads: WriteThrough['statements'] = [],
): Promise<Change<TaskRow>> {
  const id = taskId();
  const results = await db.batch([
    // The cap is the insert's own condition, so concurrent creates cannot pass it together (D1
    // serialises writers). It selects from `(select 1)`, not from users, so the foreign key
    // still refuses a user D1 does not know (403) rather than this inserting nothing (409).
    db
      .insert(tasks)
      .select(
        db
          .select({
            id: sql<string>`${id}`.as('id'),
            ownerId: sql<string>`${ownerId}`.as('owner_id'),
            title: sql<string>`${input.title}`.as('title'),
            status: sql<string>`'open'`.as('status'),
            priority: sql<string>`${input.priority}`.as('priority'),
            dueAt: sql<number | null>`${input.dueAt ? Date.parse(input.dueAt) : null}`.as('due_at'),
            snoozedUntil: sql<null>`null`.as('snoozed_until'),
            completedAt: sql<null>`null`.as('completed_at'),
            createdAt: sql<number>`${now}`.as('created_at'),
            updatedAt: sql<number>`${now}`.as('updated_at'),
          })
          .from(sql`(select 1)`)
          .where(sql`${openTaskCount(ownerId)} < ${MAX_OPEN_TASKS}`),
      )
      .returning(),
    appendEvent(
      db,
      ownerId,
      'task.created',
      { taskId: id, title: input.title, priority: input.priority, dueAt: input.dueAt ?? null },
      { whenPreviousChanged: true },
    ),
    outboxStatement(db, ownerId),
    ...reads,
  ]);
  const { task, event, readResults } = taskWriteResults(results);
  if (!task || !event) throw openTaskLimitError();
  return { value: task, event: eventFromRow(event), readResults };
}

/** The user's open tasks, counted inside the writing statement (the owner/status index serves it). */
function openTaskCount(ownerId: string) {
  return sql`(select count(*) from ${tasks} where ${tasks.ownerId} = ${ownerId} and ${tasks.status} = 'open')`;
}

function openTaskLimitError(): LimitReachedError {
  return new LimitReachedError(
    `You have ${MAX_OPEN_TASKS} open tasks, the most a user may have; nothing was written. Complete or delete one, then retry.`,
    MAX_OPEN_TASKS,
  );
}

/** The event that best names a patch: completing and snoozing matter more than "updated". */
function eventTypeFor(patch: UpdateTask): ActivityType {
  if (patch.status === 'done') return 'task.completed';
  if (patch.status === 'open') return 'task.reopened';
  if (patch.snoozedUntil) return 'task.snoozed';
  return 'task.updated';
}

export async function updateTask(
  db: Database,
  ownerId: string,
  id: string,
  patch: UpdateTask,
  now = Date.now(),
  reads: WriteThrough['statements'] = [],
): Promise<Change<TaskRow>> {
  const set: Partial<TaskRow> = { updatedAt: new Date(now) };
  if (patch.title !== undefined) set.title = patch.title;
  if (patch.priority !== undefined) set.priority = patch.priority;
  if (patch.dueAt !== undefined) set.dueAt = patch.dueAt ? new Date(patch.dueAt) : null;
  if (patch.snoozedUntil !== undefined) set.snoozedUntil = patch.snoozedUntil ? new Date(patch.snoozedUntil) : null;
  if (patch.status !== undefined) {
    set.status = patch.status;
    set.completedAt = patch.status === 'done' ? new Date(now) : null;
  }
  const results = await db.batch([
    db
      .update(tasks)
      .set(set)
      // Reopening counts against the cap, checked in the same statement as the create's.
      .where(
        and(
          eq(tasks.id, id),
          eq(tasks.ownerId, ownerId),
          patch.status === 'open' ? sql`(${tasks.status} = 'open' or ${openTaskCount(ownerId)} < ${MAX_OPEN_TASKS})` : undefined,
        ),
      )
      .returning(),
    appendEvent(
      db,
      ownerId,
      eventTypeFor(patch),
      { taskId: id, changes: Object.keys(patch), ...(patch.snoozedUntil ? { until: patch.snoozedUntil } : {}) },
      { whenPreviousChanged: true, titleOf: id },
    ),
    outboxStatement(db, ownerId),
    ...reads,
  ]);
  const { task, event, readResults } = taskWriteResults(results);
  if (!task || !event) {
    // Nothing was written; only a reopen can have been refused by the cap rather than a missing task.
    if (patch.status === 'open' && (await taskExists(db, ownerId, id))) throw openTaskLimitError();
    throw new NotFoundError(`You have no task with id "${id}".`);
  }
  return { value: task, event: eventFromRow(event), readResults };
}

async function taskExists(db: Database, ownerId: string, id: string): Promise<boolean> {
  const [row] = await db
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(eq(tasks.id, id), eq(tasks.ownerId, ownerId)));
  return row !== undefined;
}

export async function deleteTask(
  db: Database,
  ownerId: string,
  id: string,
  reads: WriteThrough['statements'] = [],
): Promise<Change<TaskRow>> {
  // The event goes first, while the task still exists, so it can carry the title; the batch is
  // one transaction, so the event and the delete commit together or not at all.
  const results = await db.batch([
    appendEvent(db, ownerId, 'task.deleted', { taskId: id }, { titleOf: id }),
    outboxStatement(db, ownerId),
    db
      .delete(tasks)
      .where(and(eq(tasks.id, id), eq(tasks.ownerId, ownerId)))
      .returning(),
    ...reads,
  ]);
  const [event] = results[0] as ActivityEventRow[];
  const [task] = results[2] as TaskRow[];
  if (!task || !event) throw new NotFoundError(`You have no task with id "${id}".`);
  return { value: task, event: eventFromRow(event), readResults: results.slice(3) };
}
