import { flagValue } from '../../worker/flags/known';
import { formatter } from '../format';
import { type PageData, SECTION_TITLES, type SectionName } from '../page-data';
import { isHidden, isIsland, preferencesOf, stateOf, taskTitlesFrom } from '../page-state';
import { ActionableItems } from './actionable-items';
import { ActivityFeed } from './activity-feed';
import { PersonalizationPanel } from './personalization-panel';
import { SystemOverview } from './system-overview';
import { UserStatistics } from './user-statistics';

/**
 * The page's main content: every section in the viewer's order, hidden ones kept in the DOM
 * (with `hidden`) so the browser can show them again without a round trip.
 *
 * Server-only, and deliberately free of signals: it renders each section from plain values,
 * exactly the props its island (web/islands.tsx) passes before anything changes, so the
 * browser hydrates the same markup. The islands' `data-island` marks what hydrates.
 */
export function IntroPage({ data }: { data: PageData }) {
  const { sections, degraded } = data.page;
  const prefs = preferencesOf(stateOf(sections.personalization));
  const format = formatter(prefs.locale, prefs.timeZone);
  const isDegraded = (name: SectionName) => degraded.includes(name);
  const render: Record<SectionName, () => preact.JSX.Element> = {
    userStatistics: () => (
      <UserStatistics state={stateOf(sections.userStatistics)} degraded={isDegraded('userStatistics')} format={format} />
    ),
    systemOverview: () => (
      <SystemOverview state={stateOf(sections.systemOverview)} degraded={isDegraded('systemOverview')} format={format} />
    ),
    actionableItems: () => (
      <ActionableItems
        state={stateOf(sections.actionableItems)}
        degraded={isDegraded('actionableItems')}
        format={format}
        pending={new Set()}
        message={null}
        focus={flagValue(data.page.flags, 'focus-card')}
      />
    ),
    activityFeed: () => (
      <ActivityFeed
        state={stateOf(sections.activityFeed)}
        degraded={isDegraded('activityFeed')}
        format={format}
        connection={{ status: 'connecting' }}
        fresh={new Set()}
        taskTitles={taskTitlesFrom(sections)}
      />
    ),
    personalization: () => (
      <PersonalizationPanel
        state={stateOf(sections.personalization)}
        degraded={isDegraded('personalization')}
        saving={false}
        message={null}
      />
    ),
  };
  return (
    <main id="main" class="page" data-theme={prefs.theme} tabIndex={-1}>
      <div class="page-head">
        {/* The account id stands in while the personalization section is unavailable. */}
        <h1>Welcome back, {prefs.displayName || data.viewer.userId}</h1>
        <p class="muted">{format.date(data.page.generatedAt)}</p>
      </div>
      <div class="grid" id="sections">
        {prefs.sectionOrder.map((name) => (
          <div
            key={name}
            class={`slot slot-${name}`}
            data-slot={name}
            data-island={isIsland(name) ? name : undefined}
            hidden={isHidden(prefs.hiddenSections, name)}
          >
            {render[name]()}
          </div>
        ))}
      </div>
    </main>
  );
}

const LOADING = { status: 'loading' } as const;
const NO_FORMAT = { dateTime: () => '', date: () => '', number: () => '', percent: () => '' };

/**
 * What the browser shows while the sections are on their way: each section's skeleton in the
 * default order. Streamed before any data is read; CSS hides it once `<main>` arrives.
 */
export function LoadingShell() {
  return (
    <div class="loading-shell">
      <div class="page-head">
        <p class="h1-placeholder">Loading your page…</p>
      </div>
      <div class="grid">
        <div class="slot slot-userStatistics">
          <UserStatistics state={LOADING} degraded={false} format={NO_FORMAT} />
        </div>
        <div class="slot slot-systemOverview">
          <SystemOverview state={LOADING} degraded={false} format={NO_FORMAT} />
        </div>
        <div class="slot slot-actionableItems">
          <ActionableItems state={LOADING} degraded={false} format={NO_FORMAT} />
        </div>
        <div class="slot slot-activityFeed">
          <ActivityFeed state={LOADING} degraded={false} format={NO_FORMAT} connection={{ status: 'connecting' }} />
        </div>
        <div class="slot slot-personalization">
          <PersonalizationPanel state={LOADING} degraded={false} />
        </div>
      </div>
    </div>
  );
}

export { SECTION_TITLES };
