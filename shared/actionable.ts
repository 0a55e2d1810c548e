/**
 * Which open tasks "need your attention", and in what order. One rule for the section the
 * worker builds (worker/sections/actionable-items.ts) and for the page's optimistic answers
 * (web/client/tasks.ts), so a task added or reopened on the page lands where a reload puts it.
 */
export const ACTIONABLE_REASONS = ['overdue', 'due_today', 'high_priority'] as const;
export type ActionableReason = (typeof ACTIONABLE_REASONS)[number];

export const REASON_RANK: Record<ActionableReason, number> = { overdue: 0, due_today: 1, high_priority: 2 };

/**
 * Why an open, unsnoozed task is actionable at `now`, or undefined when it is not.
 * `due`: its due time in epoch ms; `endOfToday`: the start of the viewer's next local day.
 */
export function actionableReason(due: number | undefined, priority: string, now: number, endOfToday: number): ActionableReason | undefined {
  if (due !== undefined && due < now) return 'overdue';
  if (due !== undefined && due < endOfToday) return 'due_today';
  return priority === 'high' ? 'high_priority' : undefined;
}
