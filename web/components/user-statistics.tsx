import type { Formatter } from '../format';
import type { UserStatistics as Stats } from '../page-data';
import type { SectionState } from '../signal-store';
import { Section } from './section';

export interface UserStatisticsProps {
  state: SectionState<Stats>;
  degraded: boolean;
  format: Formatter;
}

const isEmpty = (s: Stats) => s.openTasks === 0 && s.completedThisWeek === 0 && s.completionRate === 0 && s.streakDays === 0;

export function UserStatistics({ state, degraded, format }: UserStatisticsProps) {
  return (
    <Section
      name="userStatistics"
      state={state}
      degraded={degraded}
      skeleton={<StatsSkeleton />}
      isEmpty={isEmpty}
      empty={<p>You have no tasks yet. New tasks and completions show up here.</p>}
    >
      {(s) => (
        <dl class="stats">
          <Stat label="Open tasks" value={format.number(s.openTasks)} />
          <Stat label="Overdue" value={format.number(s.overdue)} tone={s.overdue > 0 ? 'warn' : undefined} />
          <Stat label="Done this week" value={format.number(s.completedThisWeek)} />
          <Stat label="Completion rate" value={format.percent(s.completionRate)} />
          <Stat label="Streak" value={format.number(s.streakDays)} unit={s.streakDays === 1 ? 'day' : 'days'} />
        </dl>
      )}
    </Section>
  );
}

function Stat({ label, value, unit, tone }: { label: string; value: string; unit?: string; tone?: 'warn' }) {
  return (
    <div class={`stat${tone ? ` stat-${tone}` : ''}`}>
      <dt>{label}</dt>
      <dd>
        {value}
        {unit && <span class="unit"> {unit}</span>}
      </dd>
    </div>
  );
}

function StatsSkeleton() {
  return (
    <div class="stats" aria-hidden="true">
      {Array.from({ length: 5 }, (_, i) => (
        <div key={i} class="stat skeleton">
          <span class="skeleton-line short" />
          <span class="skeleton-line big" />
        </div>
      ))}
    </div>
  );
}
