import { describe, expect, it } from 'vitest';
import { addEvents, FEED_LIMIT, lastEventId } from '../../web/client/events';
import { BACKOFF, backoffDelay } from '../../web/client/feed';
import { adjustStats, dueAtEndOf, insertItem, reasonFor, withoutItem } from '../../web/client/tasks';
import type { ActionableItem, ActivityEvent, PageData } from '../../web/page-data';
import { createStore } from '../../web/signal-store';

const event = (id: number, extra: Partial<ActivityEvent> = {}): ActivityEvent => ({
  id,
  type: 'task.created',
  payload: { taskId: `t${id}`, title: `Task ${id}` },
  createdAt: new Date(Date.UTC(2026, 10, 1, 0, id)).toISOString(),
  ...extra,
});

function store(events: ActivityEvent[] | null) {
  const data: PageData = {
    viewer: { userId: 'alice', role: 'user' },
    page: {
      userId: 'alice',
      generatedAt: '2026-11-22T10:00:00.000Z',
      sections: {
        userStatistics: null,
        systemOverview: null,
        actionableItems: [],
        activityFeed: events ? { events, feedUrl: `/api/v1/feed?after=${events[0]?.id ?? 0}` } : null,
        personalization: null,
      },
      flags: {},
      degraded: [],
    },
  };
  return createStore(data);
}

describe('backoffDelay', () => {
  it('doubles from 0.5 s to a 30 s ceiling, with half of each step random (equal jitter)', () => {
    expect(backoffDelay(0, () => 0)).toBe(BACKOFF.baseMs / 2);
    expect(backoffDelay(0, () => 1)).toBe(BACKOFF.baseMs);
    expect(backoffDelay(3, () => 0)).toBe(2000);
    expect(backoffDelay(3, () => 1)).toBe(4000);
    expect(backoffDelay(20, () => 1)).toBe(BACKOFF.maxMs);
    expect(backoffDelay(20, () => 0)).toBe(BACKOFF.maxMs / 2);
  });
});

describe('addEvents', () => {
  it('merges newest first, each id once, and resumes after the newest', () => {
    const s = store([event(2), event(1)]);
    expect(lastEventId(s)).toBe(2);
    const added = addEvents(s, [event(3), event(2), event(4)], { fresh: true });
    expect(added.map((e) => e.id)).toEqual([3, 4]);
    const feed = s.activityFeed.value;
    expect(feed.status === 'ready' && feed.data.events.map((e) => e.id)).toEqual([4, 3, 2, 1]);
    expect(lastEventId(s)).toBe(4);
    expect([...s.freshEvents.value].sort()).toEqual([3, 4]);
    expect(s.taskTitles.get('t4')).toBe('Task 4');
  });

  it('starts a feed whose section had failed, and keeps at most FEED_LIMIT events', () => {
    const s = store(null);
    expect(lastEventId(s)).toBe(0);
    addEvents(
      s,
      Array.from({ length: FEED_LIMIT + 5 }, (_, i) => event(i + 1)),
      { fresh: false },
    );
    const feed = s.activityFeed.value;
    expect(feed.status).toBe('ready');
    expect(feed.status === 'ready' && feed.data.events.length).toBe(FEED_LIMIT);
    expect(lastEventId(s)).toBe(FEED_LIMIT + 5);
    expect(s.freshEvents.value.size).toBe(0);
  });
});

describe('optimistic task answers (web/client/tasks.ts)', () => {
  const now = Date.parse('2026-11-22T10:00:00Z');
  const item = (taskId: string, reason: ActionableItem['reason'], dueAt: string | null): ActionableItem => ({
    taskId,
    title: taskId,
    reason,
    dueAt,
  });

  it("a date from the form falls due at 23:59 on that day in the viewer's zone, east and west of UTC", () => {
    expect(dueAtEndOf('2026-11-22', 'UTC')).toBe('2026-11-22T23:59:00.000Z');
    expect(dueAtEndOf('2026-11-22', 'America/Los_Angeles')).toBe('2026-11-23T07:59:00.000Z');
    expect(dueAtEndOf('2026-11-22', 'Europe/Berlin')).toBe('2026-11-22T22:59:00.000Z');
    // UTC+14 and UTC-11: noon UTC is already the next day there, or still early on the day.
    expect(dueAtEndOf('2026-11-22', 'Pacific/Kiritimati')).toBe('2026-11-22T09:59:00.000Z');
    expect(dueAtEndOf('2026-11-22', 'Pacific/Pago_Pago')).toBe('2026-11-23T10:59:00.000Z');
  });

  it('lists a new task for the reason the section would: overdue, due today, high priority, or not at all', () => {
    expect(reasonFor('2026-11-21T23:59:00.000Z', 'low', now, 'UTC')).toBe('overdue');
    expect(reasonFor(dueAtEndOf('2026-11-22', 'UTC'), 'high', now, 'UTC')).toBe('due_today');
    expect(reasonFor(dueAtEndOf('2026-11-23', 'UTC'), 'high', now, 'UTC')).toBe('high_priority');
    expect(reasonFor(null, 'high', now, 'UTC')).toBe('high_priority');
    expect(reasonFor(dueAtEndOf('2026-11-23', 'UTC'), 'normal', now, 'UTC')).toBeUndefined();
    expect(reasonFor(null, 'normal', now, 'UTC')).toBeUndefined();
    // 10:00 UTC is already the 23rd in Kiritimati: a task due on the 22nd there is overdue.
    expect(reasonFor(dueAtEndOf('2026-11-22', 'Pacific/Kiritimati'), 'normal', now, 'Pacific/Kiritimati')).toBe('overdue');
  });

  it('puts an item where the section orders it (reason, then due time, then id), once', () => {
    const list = [
      item('a', 'overdue', '2026-11-20T09:00:00.000Z'),
      item('b', 'due_today', '2026-11-22T12:00:00.000Z'),
      item('c', 'high_priority', null),
    ];
    const early = item('d', 'overdue', '2026-11-19T09:00:00.000Z');
    expect(insertItem(list, early).map((i) => i.taskId)).toEqual(['d', 'a', 'b', 'c']);
    expect(insertItem(list, item('e', 'due_today', '2026-11-22T11:00:00.000Z')).map((i) => i.taskId)).toEqual(['a', 'e', 'b', 'c']);
    expect(insertItem(list, item('0', 'high_priority', null)).map((i) => i.taskId)).toEqual(['a', 'b', '0', 'c']);
    // The same id again (undo after a refresh already brought it back) replaces it.
    expect(insertItem(list, { ...list[1]!, title: 'renamed' }).map((i) => i.title)).toEqual(['a', 'renamed', 'c']);
    expect(withoutItem(list, 'b').map((i) => i.taskId)).toEqual(['a', 'c']);
  });

  it('moves the figures and moves them back, never below zero', () => {
    const stats = {
      status: 'ready',
      data: { openTasks: 3, completedThisWeek: 1, overdue: 1, completionRate: 0.25, streakDays: 2 },
    } as const;
    const done = adjustStats(stats, 'overdue', -1, 1);
    expect(done.status === 'ready' && done.data).toMatchObject({ openTasks: 2, completedThisWeek: 2, overdue: 0 });
    expect(adjustStats(done, 'overdue', 1, -1)).toEqual(stats);
    const added = adjustStats(stats, undefined, 1, 0);
    expect(added.status === 'ready' && added.data).toMatchObject({ openTasks: 4, completedThisWeek: 1, overdue: 1 });
    const none = adjustStats({ status: 'ready', data: { ...stats.data, openTasks: 0, overdue: 0 } }, 'overdue', -1, 0);
    expect(none.status === 'ready' && none.data).toMatchObject({ openTasks: 0, overdue: 0 });
    expect(adjustStats({ status: 'loading' }, 'overdue', -1, 1)).toEqual({ status: 'loading' });
  });
});
