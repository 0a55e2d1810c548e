import type { Formatter } from '../format';
import type { ActivityEvent, ActivityFeed as Feed } from '../page-data';
import type { ConnectionState, SectionState } from '../signal-store';
import { Section, SkeletonLines } from './section';

export interface ActivityFeedProps {
  state: SectionState<Feed>;
  degraded: boolean;
  format: Formatter;
  connection: ConnectionState;
  /** Ids that arrived live; they animate in (unless the viewer prefers reduced motion). */
  fresh?: ReadonlySet<number>;
  taskTitles?: ReadonlyMap<string, string>;
}

const VERBS: Record<ActivityEvent['type'], string> = {
  'task.created': 'Created',
  'task.updated': 'Updated',
  'task.completed': 'Completed',
  'task.reopened': 'Reopened',
  'task.snoozed': 'Snoozed',
  'task.deleted': 'Deleted',
  'preferences.updated': 'Changed settings',
  'user.registered': 'Joined Foyer',
};

/** A sentence for an event; a task event carries its title, `titles` names an older one without it. */
export function describeEvent(event: ActivityEvent, titles?: ReadonlyMap<string, string>): string {
  const verb = VERBS[event.type] ?? event.type;
  if (event.type === 'user.registered') return verb;
  if (event.type === 'preferences.updated') {
    const fields = Array.isArray(event.payload.fields) ? (event.payload.fields as unknown[]).map(String) : [];
    return fields.length ? `${verb}: ${fields.join(', ')}` : verb;
  }
  const taskId = typeof event.payload.taskId === 'string' ? event.payload.taskId : undefined;
  const title = typeof event.payload.title === 'string' ? event.payload.title : taskId ? titles?.get(taskId) : undefined;
  return title ? `${verb} “${title}”` : `${verb} a task`;
}

export function connectionText(c: ConnectionState): string {
  switch (c.status) {
    case 'connecting':
      return 'Connecting…';
    case 'live':
      return 'Live';
    case 'reconnecting':
      return `Reconnecting in ${Math.max(1, Math.round(c.retryInMs / 1000))} s`;
    case 'offline':
      return 'Offline';
  }
}

export function ActivityFeed({ state, degraded, format, connection, fresh, taskTitles }: ActivityFeedProps) {
  return (
    <Section
      name="activityFeed"
      state={state}
      degraded={degraded}
      skeleton={<SkeletonLines count={5} class="skeleton-rows" />}
      isEmpty={(f) => f.events.length === 0}
      empty={<p>No activity yet. What you do appears here as it happens.</p>}
      aside={
        <p class={`conn conn-${connection.status}`} role="status">
          <span class="dot" aria-hidden="true" />
          <span class="visually-hidden">Live updates: </span>
          {connectionText(connection)}
        </p>
      }
    >
      {(f) => (
        // A live region: screen readers announce events as they are added, not the whole list.
        // Focusable because it scrolls: keyboard users must be able to reach its end (WCAG 2.1.1).
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region needs focus to scroll by keyboard.
        <ol class="feed" aria-live="polite" aria-relevant="additions" aria-label="Recent activity, newest first" tabIndex={0}>
          {f.events.map((e) => (
            <li key={e.id} class={`event type-${e.type.replace('.', '-')}${fresh?.has(e.id) ? ' fresh' : ''}`}>
              <span class="event-text">{describeEvent(e, taskTitles)}</span>
              <time class="event-time" dateTime={e.createdAt}>
                {format.dateTime(e.createdAt)}
              </time>
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}
