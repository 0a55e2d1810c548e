import { z } from '@hono/zod-openapi';
import { and, asc, eq, lt, or } from 'drizzle-orm';
import { tasks } from '../../drizzle/schema';
import { ACTIONABLE_REASONS, actionableReason, REASON_RANK } from '../../shared/actionable';
import { endOfLocalDay, MS } from '../../shared/calendar';
import { defineSection } from './section';

export const MAX_ACTIONABLE_ITEMS = 10;
/** Candidates are read before the zone is known; no zone is more than 14 h from UTC. */
const CANDIDATE_WINDOW_MS = 2 * MS.day;
const CANDIDATE_LIMIT = 100;

export const actionableItemSchema = z
  .object({
    taskId: z.string(),
    title: z.string(),
    reason: z.enum(ACTIONABLE_REASONS),
    dueAt: z.iso.datetime().nullable(),
  })
  .openapi('ActionableItem');

export const actionableItemsSchema = z.array(actionableItemSchema).openapi('ActionableItems');
export type ActionableItem = z.infer<typeof actionableItemSchema>;

export const actionableItemsSection = defineSection({
  name: 'actionableItems',
  scope: 'user',
  schema: actionableItemsSchema,
  statements: (db, { userId, now }) =>
    [
      db
        .select({
          id: tasks.id,
          title: tasks.title,
          priority: tasks.priority,
          dueAt: tasks.dueAt,
          snoozedUntil: tasks.snoozedUntil,
        })
        .from(tasks)
        .where(
          and(
            eq(tasks.ownerId, userId),
            eq(tasks.status, 'open'),
            or(lt(tasks.dueAt, new Date(now + CANDIDATE_WINDOW_MS)), eq(tasks.priority, 'high')),
          ),
        )
        .orderBy(asc(tasks.dueAt))
        .limit(CANDIDATE_LIMIT),
    ] as const,
  build: ([candidates], { now, timeZone }) => {
    const endOfToday = endOfLocalDay(now, timeZone);
    const items: (ActionableItem & { due: number })[] = [];
    for (const t of candidates) {
      if (t.snoozedUntil && t.snoozedUntil.getTime() > now) continue;
      const due = t.dueAt?.getTime();
      const reason = actionableReason(due, t.priority, now, endOfToday);
      if (!reason) continue;
      items.push({ taskId: t.id, title: t.title, reason, dueAt: t.dueAt?.toISOString() ?? null, due: due ?? Infinity });
    }
    items.sort((a, b) => REASON_RANK[a.reason] - REASON_RANK[b.reason] || a.due - b.due || a.taskId.localeCompare(b.taskId));
    return items.slice(0, MAX_ACTIONABLE_ITEMS).map(({ due: _due, ...item }) => item);
  },
});
