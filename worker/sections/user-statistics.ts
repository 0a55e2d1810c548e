import { z } from '@hono/zod-openapi';
import { and, desc, eq, gte, sql } from 'drizzle-orm';
import { tasks } from '../../drizzle/schema';
import { localDate, MS, previousDate, startOfLocalWeek } from '../../shared/calendar';
import { defineSection } from './section';

/** How far back completions are read for the streak; a longer streak shows as this many days. */
export const STREAK_HORIZON_DAYS = 366;

export const userStatisticsSchema = z
  .object({
    openTasks: z.number().int().nonnegative(),
    completedThisWeek: z.number().int().nonnegative(),
    overdue: z.number().int().nonnegative(),
    /** Done ÷ (open + done) over all the user's tasks, 0…1 with three decimals; 0 with no tasks. */
    completionRate: z.number().min(0).max(1),
    /** Consecutive local days with a completion, ending today (or yesterday, while today is young). */
    streakDays: z.number().int().nonnegative(),
  })
  .openapi('UserStatistics');

export type UserStatistics = z.infer<typeof userStatisticsSchema>;

export const userStatisticsSection = defineSection({
  name: 'userStatistics',
  scope: 'user',
  schema: userStatisticsSchema,
  statements: (db, { userId, now }) =>
    [
      db
        .select({
          open: sql<number>`coalesce(sum(${tasks.status} = 'open'), 0)`,
          overdue: sql<number>`coalesce(sum(${tasks.status} = 'open' and ${tasks.dueAt} < ${now}), 0)`,
          done: sql<number>`coalesce(sum(${tasks.status} = 'done'), 0)`,
        })
        .from(tasks)
        .where(eq(tasks.ownerId, userId)),
      db
        .select({ completedAt: tasks.completedAt })
        .from(tasks)
        .where(
          and(eq(tasks.ownerId, userId), eq(tasks.status, 'done'), gte(tasks.completedAt, new Date(now - STREAK_HORIZON_DAYS * MS.day))),
        )
        .orderBy(desc(tasks.completedAt)),
    ] as const,
  build: ([[counts], completions], { now, timeZone }) => {
    const open = Number(counts?.open ?? 0);
    const done = Number(counts?.done ?? 0);
    const weekStart = startOfLocalWeek(now, timeZone);
    const days = new Set<string>();
    let completedThisWeek = 0;
    for (const { completedAt } of completions) {
      if (!completedAt) continue;
      const at = completedAt.getTime();
      if (at >= weekStart && at <= now) completedThisWeek++;
      days.add(localDate(at, timeZone));
    }
    return {
      openTasks: open,
      completedThisWeek,
      overdue: Number(counts?.overdue ?? 0),
      completionRate: open + done === 0 ? 0 : Math.round((done / (open + done)) * 1000) / 1000,
      streakDays: streak(days, localDate(now, timeZone)),
    };
  },
});

function streak(days: Set<string>, today: string): number {
  let day = days.has(today) ? today : previousDate(today);
  let count = 0;
  while (days.has(day) && count < STREAK_HORIZON_DAYS) {
    count++;
    day = previousDate(day);
  }
  return count;
}
