import { computed, type Signal, signal } from '@preact/signals';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { formatter } from './format';
import type { ActivityEvent, PageData, Personalization, SectionName, Sections } from './page-data';
import {
  type ConnectionState,
  type FormNote,
  type PageActions,
  preferencesOf,
  stateOf,
  taskTitlesFrom,
  type UndoOffer,
} from './page-state';

/**
 * The page's state as signals, built from the embedded PageData: one store per tab. The
 * islands start from exactly the values the server rendered from (web/page-state.ts), so hydration
 * finds the same markup (test/web/hydration.test.tsx checks it).
 */
export function createStore(data: PageData) {
  const { sections } = data.page;
  const personalization = signal(stateOf(sections.personalization));
  const prefs = computed<Personalization>(() => preferencesOf(personalization.value));
  return {
    viewer: data.viewer,
    generatedAt: data.page.generatedAt,
    degraded: signal<readonly SectionName[]>(data.page.degraded),
    /** Feature flags as the server evaluated them: fixed for the life of the page, so no variant flashes. */
    flags: data.page.flags,
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
    undo: signal<UndoOffer | null>(null),
    addNote: signal<FormNote | null>(null),
    prefsMessage: signal<string | null>(null),
    savingPrefs: signal(false),
    interactive: signal(false),
    actions: undefined as PageActions | undefined,
  };
}

export type Store = ReturnType<typeof createStore>;

export const StoreContext = createContext<Store | null>(null);

export function useStore(): Store {
  const store = useContext(StoreContext);
  if (!store) throw new Error('Render islands inside <StoreContext.Provider value={createStore(data)}>.');
  return store;
}

export function isDegraded(store: Store, name: SectionName): boolean {
  return store.degraded.value.includes(name);
}

export {
  type ConnectionState,
  type FormNote,
  isHidden,
  type NewTask,
  type PageActions,
  SECTION_UNAVAILABLE,
  type SectionState,
  type UndoOffer,
} from './page-state';
export type { ActivityEvent, Sections, Signal };
