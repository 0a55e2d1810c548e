import type { Formatter } from '../format';
import type { ActionableItem } from '../page-data';
import type { SectionState } from '../signal-store';
import { FocusCard } from './focus-card';
import { Section, SkeletonLines } from './section';

export interface ActionableItemsProps {
  state: SectionState<ActionableItem[]>;
  degraded: boolean;
  format: Formatter;
  /** Undefined until hydrated: the buttons are disabled in server-rendered HTML. */
  onComplete?: (item: ActionableItem) => void;
  onSnooze?: (item: ActionableItem) => void;
  pending?: ReadonlySet<string>;
  /** The outcome of the last action that failed, announced to assistive technology. */
  message?: string | null;
  /** The `focus-card` flag's answer for this viewer: show the "Focus for today" card above the list. */
  focus?: boolean;
}

const REASON_TEXT: Record<ActionableItem['reason'], string> = {
  overdue: 'Overdue',
  due_today: 'Due today',
  high_priority: 'High priority',
};

export function ActionableItems({ state, degraded, format, onComplete, onSnooze, pending, message, focus }: ActionableItemsProps) {
  return (
    <Section
      name="actionableItems"
      state={state}
      degraded={degraded}
      skeleton={<SkeletonLines count={4} class="skeleton-rows" />}
      isEmpty={(items) => items.length === 0}
      empty={<p>Nothing needs you right now. Enjoy the calm.</p>}
      aside={
        <p class="inline-alert" role="alert">
          {message}
        </p>
      }
    >
      {(items) => (
        <>
          {focus && <FocusCard items={items} format={format} />}
          <ul class="items">
            {items.map((item) => {
              const busy = pending?.has(item.taskId) ?? false;
              return (
                <li key={item.taskId} class={`item reason-${item.reason}`} aria-busy={busy ? 'true' : undefined}>
                  <div class="item-text">
                    <span class="item-title">{item.title}</span>
                    <span class="item-meta">
                      <span class={`badge badge-${item.reason}`}>{REASON_TEXT[item.reason]}</span>
                      {item.dueAt && (
                        <span>
                          due <time dateTime={item.dueAt}>{format.dateTime(item.dueAt)}</time>
                        </span>
                      )}
                    </span>
                  </div>
                  <div class="item-actions">
                    <button
                      type="button"
                      class="btn btn-primary"
                      aria-label={`Done: ${item.title}`}
                      disabled={!onComplete || busy}
                      onClick={() => onComplete?.(item)}
                    >
                      Done
                    </button>
                    <button
                      type="button"
                      class="btn"
                      aria-label={`Snooze a day: ${item.title}`}
                      disabled={!onSnooze || busy}
                      onClick={() => onSnooze?.(item)}
                    >
                      Snooze a day
                    </button>
                  </div>
                </li>
              );
            })}
          </ul>
        </>
      )}
    </Section>
  );
}
