/**
 * The pure steps of the page's optimistic task answers: where an item goes in the list, how the
 * figures move, and what a date from the form means as an instant.
 */
import { actionableReason, REASON_RANK } from '../../shared/actionable';
import { endOfLocalDay, localDate, MS } from '../../shared/calendar';
import type { ActionableItem, UserStatistics } from '../page-data';
import type { SectionState } from '../page-state';

/** The section's order (worker/sections/actionable-items.ts): reason, then due time, then id. */
function compare(a: ActionableItem, b: ActionableItem): number {
  const due = (i: ActionableItem) => (i.dueAt ? Date.parse(i.dueAt) : Number.POSITIVE_INFINITY);
  return REASON_RANK[a.reason] - REASON_RANK[b.reason] || due(a) - due(b) || a.taskId.localeCompare(b.taskId);
}

/** `items` with `item` in its place (replacing one with the same id). */
export function insertItem(items: readonly ActionableItem[], item: ActionableItem): ActionableItem[] {
  return [...items.filter((i) => i.taskId !== item.taskId), item].sort(compare);
}

export function withoutItem(items: readonly ActionableItem[], taskId: string): ActionableItem[] {
  return items.filter((i) => i.taskId !== taskId);
}

/** The reason a new open task would be listed for, as the server would decide it now. */
export function reasonFor(dueAt: string | null, priority: string, now: number, timeZone: string): ActionableItem['reason'] | undefined {
  return actionableReason(dueAt ? Date.parse(dueAt) : undefined, priority, now, endOfLocalDay(now, timeZone));
}

/**
 * A date from the form (`YYYY-MM-DD`, the viewer's calendar) as the instant the task falls due:
 * 23:59 local on that day, so it is "due today" all that day and overdue from the next.
 */
export function dueAtEndOf(date: string, timeZone: string): string {
  // Noon UTC is on `date` in every zone up to UTC+12; further east it is already the next day.
  let probe = Date.parse(`${date}T12:00:00Z`);
  if (localDate(probe, timeZone) > date) probe -= MS.day / 2;
  return new Date(endOfLocalDay(probe, timeZone) - 60_000).toISOString();
}

/**
 * The figures after a task change, until the server's come back: `open` and `done` are how many
 * tasks joined (+1) or left (-1) the open and the done-this-week counts.
 */
export function adjustStats(
  state: SectionState<UserStatistics>,
  reason: ActionableItem['reason'] | undefined,
  open: number,
  done: number,
): SectionState<UserStatistics> {
  if (state.status !== 'ready') return state;
  const s = state.data;
  return {
    status: 'ready',
    data: {
      ...s,
      openTasks: Math.max(0, s.openTasks + open),
      overdue: reason === 'overdue' ? Math.max(0, s.overdue + open) : s.overdue,
      completedThisWeek: Math.max(0, s.completedThisWeek + done),
    },
  };
}
