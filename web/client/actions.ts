import { batch } from '@preact/signals';
import type { ActionableItem, Personalization } from '../page-data';
import type { NewTask, PageActions, Store, UndoOffer } from '../signal-store';
import { api } from './api';
import { addEvents, lastEventId } from './events';
import { adjustStats, dueAtEndOf, insertItem, reasonFor, withoutItem } from './tasks';

const REFRESH_DELAY_MS = 300;
/** How long Done and Snooze can be taken back. */
export const UNDO_MS = 5000;
export const THEME_COOKIE = 'foyer_theme';

function withPending(store: Store, taskId: string, on: boolean) {
  const next = new Set(store.pendingTasks.peek());
  if (on) next.add(taskId);
  else next.delete(taskId);
  store.pendingTasks.value = next;
}

function editItems(store: Store, edit: (items: readonly ActionableItem[]) => ActionableItem[]) {
  const state = store.actionableItems.peek();
  if (state.status === 'ready') store.actionableItems.value = { status: 'ready', data: edit(state.data) };
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : 'unknown error');
const quote = (title: string) => `“${title.length > 60 ? `${title.slice(0, 59)}…` : title}”`;

/** Gives focus to `selector` when the control that had it has just left the page (not onto <body>). */
function refocus(selector: string) {
  setTimeout(() => {
    if (!document.activeElement || document.activeElement === document.body) document.querySelector<HTMLElement>(selector)?.focus();
  });
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
        // A change still in flight is not in this answer; the refresh that follows it settles the list.
        if (store.pendingTasks.peek().size > 0) return;
        batch(() => {
          if (page.sections.userStatistics) store.userStatistics.value = { status: 'ready', data: page.sections.userStatistics };
          if (page.sections.actionableItems) {
            for (const i of page.sections.actionableItems) store.taskTitles.set(i.taskId, i.title);
            store.actionableItems.value = { status: 'ready', data: page.sections.actionableItems };
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
  let undoTimer: ReturnType<typeof setTimeout> | undefined;
  const offerUndo = (offer: UndoOffer) => {
    clearTimeout(undoTimer);
    store.undo.value = offer;
    const expire = () => {
      if (store.undo.peek() !== offer) return;
      // Someone on the Undo button by keyboard keeps it until they move on (WCAG 2.2.1, enough time).
      if (document.activeElement?.matches('[data-undo]:focus-visible')) undoTimer = setTimeout(expire, UNDO_MS);
      else store.undo.value = null;
    };
    undoTimer = setTimeout(expire, UNDO_MS);
    refocus('[data-undo]');
  };

  /** Done or Snooze: sent at once, and offered back for UNDO_MS. */
  const changeTask = (item: ActionableItem, patch: { status: 'done' } | { snoozedUntil: string }, verb: string, done: string) => {
    const completed = 'status' in patch;
    batch(() => {
      withPending(store, item.taskId, true);
      store.taskMessage.value = null;
      editItems(store, (items) => withoutItem(items, item.taskId));
      if (completed) store.userStatistics.value = adjustStats(store.userStatistics.peek(), item.reason, -1, 1);
    });
    const offer: UndoOffer = {
      text: `${done} ${quote(item.title)}.`,
      label: `Undo: ${verb} ${quote(item.title)}`,
      undo: () => void takeBack(item, sent, completed),
    };
    const sent = (async () => {
      try {
        const change = await api.patchTask(item.taskId, patch);
        addEvents(store, [change.event], { fresh: true });
        refresh();
        return true;
      } catch (err) {
        batch(() => {
          if (store.undo.peek() === offer) store.undo.value = null;
          editItems(store, (items) => insertItem(items, item));
          if (completed) store.userStatistics.value = adjustStats(store.userStatistics.peek(), item.reason, 1, -1);
          store.taskMessage.value = `Could not ${verb} ${quote(item.title)}: ${errorText(err)}`;
        });
        return false;
      } finally {
        withPending(store, item.taskId, false);
      }
    })();
    offerUndo(offer);
  };

  /** Undo: the task back in the list at once, then reopened (or woken) once the change it undoes has landed. */
  const takeBack = async (item: ActionableItem, sent: Promise<boolean>, completed: boolean) => {
    store.undo.value = null;
    // A change that failed was rolled back and explained already: nothing to undo.
    if (!(await sent)) return;
    batch(() => {
      withPending(store, item.taskId, true);
      store.taskMessage.value = null;
      editItems(store, (items) => insertItem(items, item));
      if (completed) store.userStatistics.value = adjustStats(store.userStatistics.peek(), item.reason, 1, -1);
    });
    try {
      const change = await api.patchTask(item.taskId, completed ? { status: 'open' } : { snoozedUntil: null });
      addEvents(store, [change.event], { fresh: true });
      refresh();
    } catch (err) {
      batch(() => {
        editItems(store, (items) => withoutItem(items, item.taskId));
        if (completed) store.userStatistics.value = adjustStats(store.userStatistics.peek(), item.reason, -1, 1);
        store.taskMessage.value = `Could not undo, ${quote(item.title)} stays ${completed ? 'done' : 'snoozed'}: ${errorText(err)}`;
      });
    } finally {
      withPending(store, item.taskId, false);
      refocus(`[data-task="${CSS.escape(item.taskId)}"] button`);
    }
  };

  let draftSeq = 0;
  const createTask = async (task: NewTask): Promise<boolean> => {
    const { timeZone } = store.prefs.peek();
    const dueAt = /^\d{4}-\d{2}-\d{2}$/.test(task.due) ? dueAtEndOf(task.due, timeZone) : null;
    if (task.due && !dueAt) {
      store.addNote.value = { error: true, text: 'The task was not added: enter the due date as YYYY-MM-DD.' };
      return false;
    }
    const title = task.title.trim();
    const reason = reasonFor(dueAt, task.priority, Date.now(), timeZone);
    // Shown at once under a stand-in id (busy, so not yet actionable) until the server names it.
    const draft: ActionableItem | undefined = reason && { taskId: `draft-${++draftSeq}`, title, reason, dueAt };
    batch(() => {
      if (draft) withPending(store, draft.taskId, true);
      store.addNote.value = null;
      if (draft) editItems(store, (items) => insertItem(items, draft));
      store.userStatistics.value = adjustStats(store.userStatistics.peek(), reason, 1, 0);
    });
    try {
      const { task: created, event } = await api.createTask({ title: task.title, priority: task.priority, dueAt });
      batch(() => {
        store.taskTitles.set(created.id, created.title);
        if (draft)
          editItems(store, (items) => insertItem(withoutItem(items, draft.taskId), { ...draft, taskId: created.id, title: created.title }));
        addEvents(store, [event], { fresh: true });
        store.addNote.value = {
          error: false,
          text: `Added ${quote(created.title)}.${draft ? '' : ' It will show here once it is due today, or if it is high priority.'}`,
        };
      });
      refresh();
      return true;
    } catch (err) {
      batch(() => {
        if (draft) editItems(store, (items) => withoutItem(items, draft.taskId));
        store.userStatistics.value = adjustStats(store.userStatistics.peek(), reason, -1, 0);
        store.addNote.value = { error: true, text: `The task was not added: ${errorText(err)}` };
      });
      return false;
    } finally {
      if (draft) withPending(store, draft.taskId, false);
    }
  };

  let prefsVersion = 0;
  return {
    completeTask: (item) => changeTask(item, { status: 'done' }, 'complete', 'Completed'),
    snoozeTask: (item) => changeTask(item, { snoozedUntil: new Date(Date.now() + 86_400_000).toISOString() }, 'snooze', 'Snoozed'),
    createTask,
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
