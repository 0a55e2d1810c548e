import { z } from '@hono/zod-openapi';

import { ACTIVITY_TYPES } from './activity-types';

export { ACTIVITY_TYPES };

/** One activity event as clients see it: in the intro page, over the feed socket, in the API. */
export const activityEventSchema = z
  .object({
    /** Grows by one per event of the same user: 1, 2, 3 …; resume the feed with `?after=<id>`. */
    id: z.number().int().positive(),
    type: z.enum(ACTIVITY_TYPES),
    payload: z.record(z.string(), z.unknown()),
    createdAt: z.iso.datetime(),
  })
  .openapi('ActivityEvent');

export type ActivityEvent = z.infer<typeof activityEventSchema>;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export function toActivityEvent(row: { id: number; type: string; payload: Record<string, unknown>; createdAt: Date }): ActivityEvent {
  return { id: row.id, type: row.type as ActivityType, payload: row.payload, createdAt: row.createdAt.toISOString() };
}
