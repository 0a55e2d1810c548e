import { z } from '@hono/zod-openapi';
import { and, count, desc, gt, gte, isNull, lte, or, sql } from 'drizzle-orm';
import { activityEvents, announcements, tasks, users } from '../../drizzle/schema';
import { defineSection } from './section';

export const SYSTEM_STATUSES = ['operational', 'degraded', 'outage'] as const;

export const announcementSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    body: z.string(),
    severity: z.enum(['info', 'warning', 'critical']),
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime().nullable(),
  })
  .openapi('Announcement');

export const systemOverviewSchema = z
  .object({
    totalUsers: z.number().int().nonnegative(),
    /** Distinct users with an activity event since 00:00 UTC. */
    activeUsersToday: z.number().int().nonnegative(),
    /** Tasks completed since 00:00 UTC, everyone's. */
    tasksCompletedToday: z.number().int().nonnegative(),
    announcements: z.array(announcementSchema),
    /** Derived from the most severe active announcement: warning → degraded, critical → outage. */
    status: z.enum(SYSTEM_STATUSES),
  })
  .openapi('SystemOverview');

export type SystemOverview = z.infer<typeof systemOverviewSchema>;

const MAX_ANNOUNCEMENTS = 5;

function startOfUtcDay(now: number): Date {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

export const systemOverviewSection = defineSection({
  name: 'systemOverview',
  scope: 'shared',
  schema: systemOverviewSchema,
  statements: (db, { now }) => {
    const dayStart = startOfUtcDay(now);
    const at = new Date(now);
    return [
      db.select({ n: count() }).from(users),
      // Unary + keeps SQLite from walking the whole primary-key index to get distinct users
      // in order; it then searches today's slice of the created_at index instead.
      db
        .select({ n: sql<number>`count(distinct +${activityEvents.userId})` })
        .from(activityEvents)
        .where(gte(activityEvents.createdAt, dayStart)),
      db.select({ n: count() }).from(tasks).where(gte(tasks.completedAt, dayStart)),
      db
        .select()
        .from(announcements)
        .where(and(lte(announcements.startsAt, at), or(isNull(announcements.endsAt), gt(announcements.endsAt, at))))
        .orderBy(desc(announcements.startsAt))
        .limit(MAX_ANNOUNCEMENTS),
    ] as const;
  },
  build: ([[total], [active], [completed], active_announcements]) => {
    const severities = new Set(active_announcements.map((a) => a.severity));
    return {
      totalUsers: total?.n ?? 0,
      activeUsersToday: active?.n ?? 0,
      tasksCompletedToday: completed?.n ?? 0,
      announcements: active_announcements.map((a) => ({
        id: a.id,
        title: a.title,
        body: a.body,
        severity: a.severity,
        startsAt: a.startsAt.toISOString(),
        endsAt: a.endsAt?.toISOString() ?? null,
      })),
      status: (severities.has('critical') ? 'outage' : severities.has('warning') ? 'degraded' : 'operational') as SystemOverview['status'],
    };
  },
});
