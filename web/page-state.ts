/**
 * The page's state shapes and the pure steps that derive them from the PageData. No signals
 * here: the server renders from these directly (importing @preact/signals installs render
 * hooks on every component, which the server does not need), the browser wraps them in signals
 * (web/signal-store.ts).
 */
import type { ActionableItem, PageData, Personalization, SectionName } from './page-data';

/** What a section shows: its skeleton, a failure, or data (maybe a stale copy, see `degraded`). */
export type SectionState<T> = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; data: T };

export type ConnectionState =
  | { status: 'connecting' }
  | { status: 'live' }
  | { status: 'reconnecting'; attempt: number; retryInMs: number }
  | { status: 'offline' };

/** What the "Add a task" form sends: `due` is a date on the viewer's calendar (`YYYY-MM-DD`) or empty. */
export interface NewTask {
  title: string;
  due: string;
  priority: 'low' | 'normal' | 'high';
}

/** The offer to take back the last Done or Snooze, shown for a few seconds. */
export interface UndoOffer {
  /** What happened, e.g. 'Completed “Renew passport”.' */
  text: string;
  /** The button's accessible name, e.g. 'Undo completing “Renew passport”'. */
  label: string;
  undo(): void;
}

/** The outcome of the last add, next to the form: a confirmation or the reason it failed. */
export interface FormNote {
  text: string;
  error: boolean;
}

/** The browser-side operations; the server renders with none (buttons stay disabled until hydrated). */
export interface PageActions {
  completeTask(item: ActionableItem): void;
  snoozeTask(item: ActionableItem): void;
  /** Resolves false when the server refused it (the form then gives the input back). */
  createTask(task: NewTask): Promise<boolean>;
  updatePreferences(patch: Partial<Personalization>): void;
}

export const SECTION_UNAVAILABLE = 'This section could not be loaded right now. It will be back on the next refresh.';

export function stateOf<T>(data: T | null): SectionState<T> {
  return data === null ? { status: 'error', message: SECTION_UNAVAILABLE } : { status: 'ready', data };
}

export const DEFAULT_PERSONALIZATION: Personalization = {
  displayName: '',
  theme: 'system',
  hiddenSections: [],
  sectionOrder: ['userStatistics', 'systemOverview', 'actionableItems', 'activityFeed', 'personalization'],
  locale: 'en-US',
  timeZone: 'UTC',
};

export function preferencesOf(state: SectionState<Personalization>): Personalization {
  return state.status === 'ready' ? state.data : DEFAULT_PERSONALIZATION;
}

/** Task titles the page already holds: actionable items, and feed events that carry one (e.g. task.created). */
export function taskTitlesFrom(sections: PageData['page']['sections']): Map<string, string> {
  const titles = new Map<string, string>();
  for (const e of [...(sections.activityFeed?.events ?? [])].reverse()) {
    if (typeof e.payload.taskId === 'string' && typeof e.payload.title === 'string') titles.set(e.payload.taskId, e.payload.title);
  }
  for (const i of sections.actionableItems ?? []) titles.set(i.taskId, i.title);
  return titles;
}

/** Whether a section's slot is hidden; the settings panel never is (it is how sections come back). */
export function isHidden(hidden: readonly SectionName[], name: SectionName): boolean {
  return name !== 'personalization' && hidden.includes(name);
}

/** The sections that hydrate (islands); the system overview stays static HTML. */
export const ISLAND_NAMES = [
  'userStatistics',
  'actionableItems',
  'activityFeed',
  'personalization',
] as const satisfies readonly SectionName[];
export type IslandName = (typeof ISLAND_NAMES)[number];

export function isIsland(name: string): name is IslandName {
  return (ISLAND_NAMES as readonly string[]).includes(name);
}
