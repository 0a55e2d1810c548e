import { z } from '@hono/zod-openapi';
import { TASK_PRIORITIES, TASK_STATUSES, type TaskRow } from '../../drizzle/schema';

/** Task ids: `POST /tasks` gives a UUID, the seed `<user>-task-<n>`; the path parameter accepts this much. */
const TASK_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const taskSchema = z
  .object({
    id: z.string().openapi({ pattern: TASK_ID_PATTERN.source, example: 'alice-task-1' }),
    title: z.string(),
    status: z.enum(TASK_STATUSES),
    priority: z.enum(TASK_PRIORITIES),
    dueAt: z.iso.datetime().nullable(),
    snoozedUntil: z.iso.datetime().nullable(),
    completedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Task');

/**
 * C0 and C1 controls (NUL, ESC, newlines, DEL…) and the bidi embeddings, overrides and isolates
 * (U+202A-202E, U+2066-2069): they can rewrite a terminal, a log line or how a title reads
 * ("Invoice \u202Egpj.exe"), and no real title needs them. Marks such as U+200F stay allowed.
 */
const UNSAFE_TITLE_CHARACTERS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

const title = z
  .string()
  .trim()
  .min(1, 'a title is required')
  .max(200, 'a title has at most 200 characters')
  .refine((s) => !UNSAFE_TITLE_CHARACTERS.test(s), 'a title may not contain control or bidirectional override characters')
  .openapi({ description: 'Trimmed; 1-200 characters, with no control (C0, C1) or bidi override/isolate characters.' });
const instant = z.iso.datetime({ offset: true, message: 'an ISO-8601 date-time such as 2026-05-01T09:00:00Z' });

export const createTaskSchema = z
  .object({
    title,
    priority: z.enum(TASK_PRIORITIES).default('normal'),
    dueAt: instant.nullable().optional(),
  })
  .strict()
  .openapi('CreateTask');

export const updateTaskSchema = z
  .object({
    title: title.optional(),
    status: z.enum(TASK_STATUSES).optional(),
    priority: z.enum(TASK_PRIORITIES).optional(),
    dueAt: instant.nullable().optional(),
    /** Hide the task from actionable items until then; null wakes it. */
    snoozedUntil: instant.nullable().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change' })
  .openapi('UpdateTask');

export const listTasksQuerySchema = z.object({
  status: z.enum(TASK_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const taskIdParamSchema = z.object({
  id: z.string().regex(TASK_ID_PATTERN, 'a task id is 1-64 letters, digits, "-" or "_"').openapi({ example: 'alice-task-1' }),
});

export type Task = z.infer<typeof taskSchema>;
export type CreateTask = z.infer<typeof createTaskSchema>;
export type UpdateTask = z.infer<typeof updateTaskSchema>;

export function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    title: row.title,
    status: row.status,
    priority: row.priority,
    dueAt: row.dueAt?.toISOString() ?? null,
    snoozedUntil: row.snoozedUntil?.toISOString() ?? null,
    completedAt: row.completedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
