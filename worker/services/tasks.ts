import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { type ActivityEventRow, type TaskRow, tasks } from '../../drizzle/schema';
import type { WriteThrough } from '../cache';
import type { Database } from '../db/client';
import { NotFoundError } from '../errors';
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
    db
      .insert(tasks)
      .values({
        id,
        ownerId,
        title: input.title,
        priority: input.priority,
        dueAt: input.dueAt ? new Date(input.dueAt) : null,
        createdAt: new Date(now),
        updatedAt: new Date(now),
      })
      .returning(),
    appendEvent(db, ownerId, 'task.created', { taskId: id, title: input.title, priority: input.priority, dueAt: input.dueAt ?? null }),
    outboxStatement(db, ownerId),
    ...reads,
  ]);
  const { task, event, readResults } = taskWriteResults(results);
  return { value: task!, event: eventFromRow(event!), readResults };
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
      .where(and(eq(tasks.id, id), eq(tasks.ownerId, ownerId)))
      .returning(),
    appendEvent(
      db,
      ownerId,
      eventTypeFor(patch),
      { taskId: id, changes: Object.keys(patch), ...(patch.snoozedUntil ? { until: patch.snoozedUntil } : {}) },
      { whenPreviousChanged: true },
    ),
    outboxStatement(db, ownerId),
    ...reads,
  ]);
  const { task, event, readResults } = taskWriteResults(results);
  if (!task || !event) throw new NotFoundError(`You have no task with id "${id}".`);
  return { value: task, event: eventFromRow(event), readResults };
}

export async function deleteTask(
  db: Database,
  ownerId: string,
  id: string,
  reads: WriteThrough['statements'] = [],
): Promise<Change<TaskRow>> {
  const results = await db.batch([
    db
      .delete(tasks)
      .where(and(eq(tasks.id, id), eq(tasks.ownerId, ownerId)))
      .returning(),
    appendEvent(db, ownerId, 'task.deleted', { taskId: id }, { whenPreviousChanged: true }),
    outboxStatement(db, ownerId),
    ...reads,
  ]);
  const { task, event, readResults } = taskWriteResults(results);
  if (!task || !event) throw new NotFoundError(`You have no task with id "${id}".`);
  return { value: task, event: eventFromRow(event), readResults };
}
