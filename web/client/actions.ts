import { batch } from '@preact/signals';
import type { ActionableItem, Personalization, UserStatistics } from '../page-data';
import type { PageActions, SectionState, Store } from '../signal-store';
import { api } from './api';
import { addEvents, lastEventId } from './events';

const REFRESH_DELAY_MS = 300;
export const THEME_COOKIE = 'foyer_theme';

function withPending(store: Store, taskId: string, on: boolean) {
  const next = new Set(store.pendingTasks.peek());
  if (on) next.add(taskId);
  else next.delete(taskId);
  store.pendingTasks.value = next;
}

function adjustStats(state: SectionState<UserStatistics>, item: ActionableItem, completed: boolean): SectionState<UserStatistics> {
  if (state.status !== 'ready' || !completed) return state;
  const s = state.data;
  return {
    status: 'ready',
    data: {
      ...s,
      openTasks: Math.max(0, s.openTasks - 1),
      overdue: item.reason === 'overdue' ? Math.max(0, s.overdue - 1) : s.overdue,
      completedThisWeek: s.completedThisWeek + 1,
    },
  };
}

/**
 * Re-reads the sections a task change affects (statistics, actionable items) from the API,
 * coalescing bursts (our own change plus its echo on the feed) into one request.
 */
export function createRefresher(store: Store) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const page = await api.introPage(store.viewer.userId, lastEventId(store));
        batch(() => {
          if (page.sections.userStatistics) store.userStatistics.value = { status: 'ready', data: page.sections.userStatistics };
          if (page.sections.actionableItems) {
            for (const i of page.sections.actionableItems) store.taskTitles.set(i.taskId, i.title);
            const pending = store.pendingTasks.peek();
            store.actionableItems.value = {
              status: 'ready',
              data: page.sections.actionableItems.filter((i) => !pending.has(i.taskId)),
            };
          }
          store.degraded.value = page.degraded;
        });
      } catch {
        // Keep what is shown; the next change or reload reads again.
      }
    }, REFRESH_DELAY_MS);
  };
}

/** The page's operations: optimistic, rolled back with a message when the server says no. */
export function createActions(store: Store, refresh: () => void): PageActions {
  const changeTask = async (item: ActionableItem, patch: { status: 'done' } | { snoozedUntil: string }, verb: string) => {
    const before = { items: store.actionableItems.peek(), stats: store.userStatistics.peek() };
    const completed = 'status' in patch;
    batch(() => {
      withPending(store, item.taskId, true);
      store.taskMessage.value = null;
      if (before.items.status === 'ready') {
        store.actionableItems.value = { status: 'ready', data: before.items.data.filter((i) => i.taskId !== item.taskId) };
      }
      store.userStatistics.value = adjustStats(before.stats, item, completed);
    });
    try {
      const change = await api.patchTask(item.taskId, patch);
      addEvents(store, [change.event], { fresh: true });
      refresh();
    } catch (err) {
      batch(() => {
        store.actionableItems.value = before.items;
        store.userStatistics.value = before.stats;
        store.taskMessage.value = `Could not ${verb} “${item.title}”: ${err instanceof Error ? err.message : 'unknown error'}`;
      });
    } finally {
      withPending(store, item.taskId, false);
    }
  };

  let prefsVersion = 0;
  return {
    completeTask: (item) => changeTask(item, { status: 'done' }, 'complete'),
    snoozeTask: (item) => changeTask(item, { snoozedUntil: new Date(Date.now() + 86_400_000).toISOString() }, 'snooze'),
    async updatePreferences(patch: Partial<Personalization>) {
      const before = store.personalization.peek();
      if (before.status !== 'ready') return;
      const version = ++prefsVersion;
      batch(() => {
        store.personalization.value = { status: 'ready', data: { ...before.data, ...patch } };
        store.prefsMessage.value = null;
        store.savingPrefs.value = true;
      });
      try {
        const { personalization, event } = await api.patchPreferences(store.viewer.userId, patch);
        // A later change may already be on its way; only the newest answer is applied.
        if (version === prefsVersion) store.personalization.value = { status: 'ready', data: personalization };
        addEvents(store, [event], { fresh: true });
      } catch (err) {
        if (version === prefsVersion) {
          store.personalization.value = before;
          store.prefsMessage.value = `Your change was not saved and has been undone: ${err instanceof Error ? err.message : 'unknown error'}`;
        }
      } finally {
        if (version === prefsVersion) store.savingPrefs.value = false;
      }
    },
  };
}
