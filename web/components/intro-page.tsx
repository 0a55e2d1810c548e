import { ISLANDS, isIsland } from '../islands';
import { type PageData, SECTION_TITLES } from '../page-data';
import { createStore, isDegraded, isHidden, type Store, StoreContext } from '../store';
import { ActionableItems } from './actionable-items';
import { ActivityFeed } from './activity-feed';
import { PersonalizationPanel } from './personalization-panel';
import { SystemOverview } from './system-overview';
import { UserStatistics } from './user-statistics';

/**
 * The page's main content: every section in the viewer's order, hidden ones kept in the DOM
 * (with `hidden`) so the browser can show them again without a round trip.
 * Server-only: the browser hydrates the islands inside, never this component.
 */
export function IntroPage({ data, store = createStore(data) }: { data: PageData; store?: Store }) {
  const prefs = store.prefs.value;
  const format = store.format.value;
  return (
    <StoreContext.Provider value={store}>
      <main id="main" class="page" data-theme={prefs.theme} tabIndex={-1}>
        <div class="page-head">
          <h1>Welcome back, {data.viewer.userId}</h1>
          <p class="muted">{format.date(data.page.generatedAt)}</p>
        </div>
        <div class="grid" id="sections">
          {prefs.sectionOrder.map((name) => {
            const Island = isIsland(name) ? ISLANDS[name] : undefined;
            return (
              <div
                key={name}
                class={`slot slot-${name}`}
                data-slot={name}
                data-island={Island ? name : undefined}
                hidden={isHidden(prefs.hiddenSections, name)}
              >
                {Island ? (
                  <Island />
                ) : (
                  <SystemOverview state={store.systemOverview.value} degraded={isDegraded(store, 'systemOverview')} format={format} />
                )}
              </div>
            );
          })}
        </div>
      </main>
    </StoreContext.Provider>
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
