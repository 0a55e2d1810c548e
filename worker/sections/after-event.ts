import type { SectionName } from '../../drizzle/schema';
import type { ActivityEvent } from '../schemas/activity-event';
import { type ActivityFeed, feedUrlAfter, RECENT_EVENTS } from './activity-feed';

/** Task events change the task counts, the streak and the actionable list; nothing else a user sees. */
const TASK_SECTIONS = ['userStatistics', 'actionableItems'] as const satisfies readonly SectionName[];

/**
 * The personal sections (besides the feed, which the event itself extends) that may read
 * differently after a user's event: what a write-through reads again from D1. Undefined: an
 * event this module does not know, so the whole bundle is read again.
 *
 * A preference change rereads personalization; a new time zone also moves the day and week
 * boundaries that the statistics and the actionable list are cut at.
 */
export function sectionsChangedBy(event: ActivityEvent): readonly SectionName[] | undefined {
  if (event.type.startsWith('task.')) return TASK_SECTIONS;
  if (event.type === 'preferences.updated') {
    const fields = event.payload.fields;
    const zoneMayMove = !Array.isArray(fields) || fields.includes('timeZone');
    return zoneMayMove ? ['personalization', ...TASK_SECTIONS] : ['personalization'];
  }
  return undefined;
}

/** The feed section after `event`, newest first, as the feed's own query would read it. */
export function feedWith(feed: ActivityFeed, event: ActivityEvent): ActivityFeed {
  return { events: [event, ...feed.events].slice(0, RECENT_EVENTS), feedUrl: feedUrlAfter(event.id) };
}
