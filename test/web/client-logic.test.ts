import { describe, expect, it } from 'vitest';
import { addEvents, FEED_LIMIT, lastEventId } from '../../web/client/events';
import { BACKOFF, backoffDelay } from '../../web/client/feed';
import type { ActivityEvent, PageData } from '../../web/page-data';
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
