import { computed, type Signal, signal } from '@preact/signals';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { formatter } from './format';
import type { ActionableItem, ActivityEvent, PageData, Personalization, SectionName, Sections } from './page-data';

/** What a section shows: its skeleton, a failure, or data (maybe a stale copy, see `degraded`). */
export type SectionState<T> = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; data: T };

export type ConnectionState =
  | { status: 'connecting' }
  | { status: 'live' }
  | { status: 'reconnecting'; attempt: number; retryInMs: number }
  | { status: 'offline' };

/** The browser-side operations; the server renders with none (buttons stay disabled until hydrated). */
export interface PageActions {
  completeTask(item: ActionableItem): void;
  snoozeTask(item: ActionableItem): void;
  updatePreferences(patch: Partial<Personalization>): void;
}

export const SECTION_UNAVAILABLE = 'This section could not be loaded right now. It will be back on the next refresh.';

function stateOf<T>(data: T | null): SectionState<T> {
  return data === null ? { status: 'error', message: SECTION_UNAVAILABLE } : { status: 'ready', data };
}

/**
 * The page's state as signals, built from the embedded PageData. One store per request on the
 * server (never module-global: an isolate serves many users), one per tab in the browser.
 */
export function createStore(data: PageData) {
  const { sections } = data.page;
  const personalization = signal(stateOf(sections.personalization));
  const prefs = computed<Personalization>(() => {
    const p = personalization.value;
    return p.status === 'ready' ? p.data : DEFAULT_PERSONALIZATION;
  });
  return {
    viewer: data.viewer,
    generatedAt: data.page.generatedAt,
    degraded: signal<readonly SectionName[]>(data.page.degraded),
    userStatistics: signal(stateOf(sections.userStatistics)),
    systemOverview: signal(stateOf(sections.systemOverview)),
    actionableItems: signal(stateOf(sections.actionableItems)),
    activityFeed: signal(stateOf(sections.activityFeed)),
    personalization,
    prefs,
    format: computed(() => formatter(prefs.value.locale, prefs.value.timeZone)),
    /** Task ids with a request in flight. */
    pendingTasks: signal<ReadonlySet<string>>(new Set()),
    /** Titles of tasks seen on this page, so feed events that carry only an id read well. */
    taskTitles: taskTitlesFrom(sections),
    /** Events that arrived live (they animate in). */
    freshEvents: signal<ReadonlySet<number>>(new Set()),
    connection: signal<ConnectionState>({ status: 'connecting' }),
    taskMessage: signal<string | null>(null),
    prefsMessage: signal<string | null>(null),
    savingPrefs: signal(false),
    interactive: signal(false),
    actions: undefined as PageActions | undefined,
  };
}

export type Store = ReturnType<typeof createStore>;

/** Task titles the page already holds: actionable items, and feed events that carry one (e.g. task.created). */
function taskTitlesFrom(sections: PageData['page']['sections']): Map<string, string> {
  const titles = new Map<string, string>();
  for (const e of [...(sections.activityFeed?.events ?? [])].reverse()) {
    if (typeof e.payload.taskId === 'string' && typeof e.payload.title === 'string') titles.set(e.payload.taskId, e.payload.title);
  }
  for (const i of sections.actionableItems ?? []) titles.set(i.taskId, i.title);
  return titles;
}

export const DEFAULT_PERSONALIZATION: Personalization = {
  theme: 'system',
  hiddenSections: [],
  sectionOrder: ['userStatistics', 'systemOverview', 'actionableItems', 'activityFeed', 'personalization'],
  locale: 'en-US',
  timeZone: 'UTC',
};

export const StoreContext = createContext<Store | null>(null);

export function useStore(): Store {
  const store = useContext(StoreContext);
  if (!store) throw new Error('Render islands inside <StoreContext.Provider value={createStore(data)}>.');
  return store;
}

/** Whether a section's slot is hidden; the settings panel never is (it is how sections come back). */
export function isHidden(hidden: readonly SectionName[], name: SectionName): boolean {
  return name !== 'personalization' && hidden.includes(name);
}

export function isDegraded(store: Store, name: SectionName): boolean {
  return store.degraded.value.includes(name);
}

export type { ActivityEvent, Sections, Signal };
