import type { ActivityEvent } from '../page-data';
import type { Store } from '../signal-store';

/** How many events the feed keeps on screen. */
export const FEED_LIMIT = 50;
const FRESH_MS = 2500;

/** The newest event id the page holds: where a (re)connection resumes with `?after=`. */
export function lastEventId(store: Store): number {
  const feed = store.activityFeed.peek();
  return feed.status === 'ready' ? (feed.data.events[0]?.id ?? 0) : 0;
}

/** Merges events into the feed (newest first, each id once); returns the ones that were new. */
export function addEvents(store: Store, events: readonly ActivityEvent[], options: { fresh: boolean }): ActivityEvent[] {
  const feed = store.activityFeed.peek();
  const current = feed.status === 'ready' ? feed.data.events : [];
  const known = new Set(current.map((e) => e.id));
  const added = events.filter((e) => !known.has(e.id));
  if (added.length === 0) return added;
  for (const e of added)
    if (typeof e.payload.title === 'string' && typeof e.payload.taskId === 'string')
      store.taskTitles.set(e.payload.taskId, e.payload.title);
  const merged = [...added, ...current].sort((a, b) => b.id - a.id).slice(0, FEED_LIMIT);
  store.activityFeed.value = {
    status: 'ready',
    data: { events: merged, feedUrl: `/api/v1/feed?after=${merged[0]?.id ?? 0}` },
  };
  if (options.fresh) {
    const ids = added.map((e) => e.id);
    store.freshEvents.value = new Set([...store.freshEvents.peek(), ...ids]);
    setTimeout(() => {
      const next = new Set(store.freshEvents.peek());
      for (const id of ids) next.delete(id);
      store.freshEvents.value = next;
    }, FRESH_MS);
  }
  return added;
}
