import type { Formatter } from '../format';
import type { ActionableItem } from '../page-data';

const URGENCY: Record<ActionableItem['reason'], number> = { overdue: 0, due_today: 1, high_priority: 2 };

/** The one item to do first: overdue before due today before high priority, earliest due first. */
export function focusOf(items: readonly ActionableItem[]): ActionableItem | undefined {
  let best: ActionableItem | undefined;
  for (const item of items) {
    if (!best) best = item;
    else {
      const byReason = URGENCY[item.reason] - URGENCY[best.reason];
      const byDue = (item.dueAt ?? '\uffff') < (best.dueAt ?? '\uffff');
      if (byReason < 0 || (byReason === 0 && byDue)) best = item;
    }
  }
  return best;
}

/**
 * "Focus for today": the single most pressing actionable item, above the list, with a count of
 * the rest. Behind the `focus-card` flag (worker/flags/known.ts); the flag's value arrives in the
 * page data, so the server and the hydrating island render the same variant and nothing flashes.
 */
export function FocusCard({ items, format }: { items: readonly ActionableItem[]; format: Formatter }) {
  const focus = focusOf(items);
  if (!focus) return null;
  const rest = items.length - 1;
  return (
    <div class="focus-card" data-flag="focus-card">
      <h3 class="focus-title">Focus for today</h3>
      <p class="focus-item">
        <strong>{focus.title}</strong>
        {focus.dueAt && (
          <span class="muted">
            {' '}
            · due <time dateTime={focus.dueAt}>{format.dateTime(focus.dueAt)}</time>
          </span>
        )}
      </p>
      {rest > 0 && <p class="muted focus-rest">{rest === 1 ? 'Then 1 more item below.' : `Then ${rest} more items below.`}</p>}
    </div>
  );
}
