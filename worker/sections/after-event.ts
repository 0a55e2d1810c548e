import type { SectionName } from '../../drizzle/schema';
import type { ActivityEvent } from '../schemas/activity-event';
import { type ActivityFeed, feedUrlAfter, RECENT_EVENTS } from './activity-feed';

/**
 * The sections that depend on the clock (the day, the week, what is overdue) as well as on the
 * user's tasks: a bundle carried forward reads these again whatever the event, since `now` has
 * moved since the bundle was read. Personalization and the feed depend only on the user's writes.
 */
const CLOCK_SECTIONS = ['userStatistics', 'actionableItems'] as const satisfies readonly SectionName[];

/**
 * The personal sections a write-through reads again from D1 after a user's event: those the
 * event can change, and those that depend on the clock. The feed is not among them (the event
 * itself extends it). Undefined: an event this module does not know, so the whole bundle is read.
 *
 * A task event changes only task sections, which are the clock's anyway. A preference change
 * rereads personalization too (and its zone moves the day and week boundaries).
 */
export function sectionsChangedBy(event: Pick<ActivityEvent, 'type'>): readonly SectionName[] | undefined {
  if (event.type.startsWith('task.')) return CLOCK_SECTIONS;
  if (event.type === 'preferences.updated') return ['personalization', ...CLOCK_SECTIONS];
  return undefined;
}

/** The feed section after `event`, newest first, as the feed's own query would read it. */
export function feedWith(feed: ActivityFeed, event: ActivityEvent): ActivityFeed {
  return { events: [event, ...feed.events].slice(0, RECENT_EVENTS), feedUrl: feedUrlAfter(event.id) };
}
