import type { Formatter } from '../format';
import type { ActionableItem } from '../page-data';
import type { FormNote, NewTask, SectionState, UndoOffer } from '../signal-store';
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
  /** Undefined until hydrated: the form's button is disabled in server-rendered HTML. */
  onAdd?: (task: NewTask) => Promise<boolean>;
  /** The last add's outcome, shown and announced under the form. */
  note?: FormNote | null;
  /** The last Done or Snooze, while it can still be taken back. */
  undo?: UndoOffer | null;
}

const REASON_TEXT: Record<ActionableItem['reason'], string> = {
  overdue: 'Overdue',
  due_today: 'Due today',
  high_priority: 'High priority',
};

/**
 * Title, optional due date and priority; Enter submits. Uncontrolled: it is cleared at once for
 * the next task and given its input back only when the server refuses the add.
 */
function AddTaskForm({ onAdd, note }: Pick<ActionableItemsProps, 'onAdd' | 'note'>) {
  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    // namedItem, not form.title: that is the element's own `title` attribute.
    const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
    const task: NewTask = {
      title: field('title').value,
      due: field('due').value,
      priority: field('priority').value as NewTask['priority'],
    };
    form.reset();
    field('title').focus();
    void onAdd?.(task).then((added) => {
      if (added || field('title').value) return;
      field('title').value = task.title;
      field('due').value = task.due;
      field('priority').value = task.priority;
      field('title').focus();
    });
  };
  return (
    <form class="add-task" aria-labelledby="add-task-heading" onSubmit={submit}>
      <h3 id="add-task-heading">Add a task</h3>
      <div class="add-task-fields">
        <label class="field add-task-title">
          <span>Title</span>
          <input name="title" type="text" required autoComplete="off" aria-describedby="add-task-hint add-task-error" />
        </label>
        <label class="field">
          <span>Due date (optional)</span>
          <input name="due" type="date" />
        </label>
        <label class="field">
          <span>Priority</span>
          <select name="priority">
            <option value="low">Low</option>
            <option value="normal" selected>
              Normal
            </option>
            <option value="high">High</option>
          </select>
        </label>
        <button type="submit" class="btn btn-primary" disabled={!onAdd}>
          Add task
        </button>
      </div>
      <p id="add-task-hint" class="small muted">
        A task shows here when it is overdue, due today or high priority.
      </p>
      <p id="add-task-error" class="inline-alert" role="alert">
        {note?.error && note.text}
      </p>
      <p class="inline-status" role="status">
        {note && !note.error && note.text}
      </p>
    </form>
  );
}

export function ActionableItems({
  state,
  degraded,
  format,
  onComplete,
  onSnooze,
  pending,
  message,
  focus,
  onAdd,
  note,
  undo,
}: ActionableItemsProps) {
  return (
    <Section
      name="actionableItems"
      state={state}
      degraded={degraded}
      skeleton={<SkeletonLines count={4} class="skeleton-rows" />}
      isEmpty={(items) => items.length === 0}
      empty={<p>Nothing needs you right now. Enjoy the calm.</p>}
      aside={
        <>
          <p class="inline-alert" role="alert">
            {message}
          </p>
          <p class="undo" role="status">
            {undo && (
              <>
                {undo.text}{' '}
                <button type="button" class="btn" data-undo aria-label={undo.label} onClick={undo.undo}>
                  Undo
                </button>
              </>
            )}
          </p>
        </>
      }
      footer={<AddTaskForm onAdd={onAdd} note={note} />}
    >
      {(items) => (
        <>
          {focus && <FocusCard items={items} format={format} />}
          <ul class="items">
            {items.map((item) => {
              const busy = pending?.has(item.taskId) ?? false;
              return (
                <li key={item.taskId} class={`item reason-${item.reason}`} data-task={item.taskId} aria-busy={busy ? 'true' : undefined}>
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
