import { z } from '@hono/zod-openapi';
import { desc, eq } from 'drizzle-orm';
import { activityEvents } from '../../drizzle/schema';
import { activityEventSchema, toActivityEvent } from '../schemas/activity-event';
import { defineSection } from './section';

export const FEED_PATH = '/api/v1/feed';
export const RECENT_EVENTS = 20;

export const activityFeedSchema = z
  .object({
    /** Newest first. */
    events: z.array(activityEventSchema),
    /** The WebSocket URL that continues exactly after the newest event shown here. */
    feedUrl: z.string(),
  })
  .openapi('ActivityFeed');

export type ActivityFeed = z.infer<typeof activityFeedSchema>;

export function feedUrlAfter(lastEventId: number): string {
  return `${FEED_PATH}?after=${lastEventId}`;
}

export const activityFeedSection = defineSection({
  name: 'activityFeed',
  scope: 'user',
  schema: activityFeedSchema,
  statements: (db, { userId }) =>
    [
      db
        .select({
          id: activityEvents.id,
          type: activityEvents.type,
          payload: activityEvents.payload,
          createdAt: activityEvents.createdAt,
        })
        .from(activityEvents)
        .where(eq(activityEvents.userId, userId))
        .orderBy(desc(activityEvents.id))
        .limit(RECENT_EVENTS),
    ] as const,
  build: ([rows]) => ({
    events: rows.map(toActivityEvent),
    feedUrl: feedUrlAfter(rows[0]?.id ?? 0),
  }),
});
