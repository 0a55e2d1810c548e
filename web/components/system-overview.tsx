import type { Formatter } from '../format';
import type { SystemOverview as Overview } from '../page-data';
import type { SectionState } from '../signal-store';
import { Section, SkeletonLines } from './section';

export interface SystemOverviewProps {
  state: SectionState<Overview>;
  degraded: boolean;
  format: Formatter;
}

const STATUS_TEXT: Record<Overview['status'], string> = {
  operational: 'All systems operational',
  degraded: 'Some systems degraded',
  outage: 'Service outage',
};

/** Static: rendered on the server only, it ships no JavaScript. */
export function SystemOverview({ state, degraded, format }: SystemOverviewProps) {
  return (
    <Section
      name="systemOverview"
      state={state}
      degraded={degraded}
      skeleton={<SkeletonLines count={4} />}
      isEmpty={(o) => o.totalUsers === 0}
      empty={<p>No activity on Foyer yet.</p>}
    >
      {(o) => (
        <>
          <p class={`status status-${o.status}`}>
            <span class="dot" aria-hidden="true" />
            {STATUS_TEXT[o.status]}
          </p>
          <dl class="facts">
            <div>
              <dt>People on Foyer</dt>
              <dd>{format.number(o.totalUsers)}</dd>
            </div>
            <div>
              <dt>Active today</dt>
              <dd>{format.number(o.activeUsersToday)}</dd>
            </div>
            <div>
              <dt>Tasks done today</dt>
              <dd>{format.number(o.tasksCompletedToday)}</dd>
            </div>
          </dl>
          {o.announcements.length === 0 ? (
            <p class="muted">No announcements.</p>
          ) : (
            <ul class="announcements">
              {o.announcements.map((a) => (
                <li key={a.id} class={`announcement severity-${a.severity}`}>
                  <h3>{a.title}</h3>
                  <p>{a.body}</p>
                  <p class="muted small">
                    Since <time dateTime={a.startsAt}>{format.dateTime(a.startsAt)}</time>
                  </p>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Section>
  );
}
