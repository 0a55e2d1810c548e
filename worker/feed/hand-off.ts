import type { ActivityEvent } from '../schemas/activity-event';
import { feedOf } from './protocol';

/**
 * Hands a committed event to the user's feed, which appends and broadcasts it. This runs
 * after the response (waitUntil); if it fails, D1 still holds the event and the feed finds
 * it by its id gap at the next event, connect or `sync`.
 */
export async function handOffToFeed(env: Env, userId: string, event: ActivityEvent): Promise<void> {
  await feedOf(env, userId).publish(userId, event);
}
