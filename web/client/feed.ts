import type { ActivityEvent } from '../page-data';
import type { Store } from '../store';
import { addEvents, lastEventId } from './events';

/** The wire messages of /api/v1/feed (docs/api.md); parsed by hand to keep zod out of the bundle. */
type ServerMessage = { type: 'ready'; lastEventId: number } | { type: 'event'; event: ActivityEvent } | { type: 'pong' };

export const BACKOFF = { baseMs: 500, maxMs: 30_000 } as const;
const PING = '{"type":"ping"}';
const PING_EVERY_MS = 25_000;
/** Close codes after which retrying cannot help: policy (session expired, too many feeds). */
const NO_RETRY = new Set([1008]);
/** The server reset the feed (its history no longer matches ours): only a fresh page is whole. */
const RELOAD = 1001;

/** Exponential backoff with "equal jitter": half fixed, half random, so tabs do not reconnect in step. */
export function backoffDelay(attempt: number, random = Math.random): number {
  const ceiling = Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

function parse(data: unknown): ServerMessage | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const m = JSON.parse(data) as ServerMessage;
    if (m.type === 'ready' && typeof m.lastEventId === 'number') return m;
    if (m.type === 'event' && typeof m.event?.id === 'number' && typeof m.event.type === 'string') return m;
    if (m.type === 'pong') return m;
  } catch {}
  return undefined;
}

/**
 * Keeps the page's WebSocket to /api/v1/feed open: the session cookie authenticates it, every
 * (re)connection resumes after the newest event the page holds (`?after=`), so none is lost.
 * `onEvent` runs for each event that was new to the page.
 */
export function connectFeed(store: Store, onEvent: (event: ActivityEvent) => void): { close(): void } {
  let socket: WebSocket | undefined;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  let stopped = false;

  const open = () => {
    clearTimeout(retryTimer);
    if (stopped) return;
    if (!navigator.onLine) {
      store.connection.value = { status: 'offline' };
      return;
    }
    store.connection.value = attempt === 0 ? { status: 'connecting' } : store.connection.peek();
    const url = new URL('/api/v1/feed', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('after', String(lastEventId(store)));
    const ws = new WebSocket(url);
    socket = ws;
    ws.onmessage = (frame) => {
      const message = parse(frame.data);
      if (message?.type === 'ready') {
        attempt = 0;
        store.connection.value = { status: 'live' };
      } else if (message?.type === 'event') {
        for (const e of addEvents(store, [message.event], { fresh: true })) onEvent(e);
      }
    };
    ws.onopen = () => {
      clearInterval(pingTimer);
      pingTimer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(PING), PING_EVERY_MS);
    };
    ws.onclose = (event) => {
      clearInterval(pingTimer);
      if (socket !== ws || stopped) return;
      if (event.code === RELOAD) {
        location.reload();
        return;
      }
      if (NO_RETRY.has(event.code)) {
        store.connection.value = { status: 'offline' };
        return;
      }
      const retryInMs = backoffDelay(attempt);
      attempt++;
      store.connection.value = { status: 'reconnecting', attempt, retryInMs };
      retryTimer = setTimeout(open, retryInMs);
    };
  };

  addEventListener('online', () => {
    attempt = 0;
    if (!socket || socket.readyState === WebSocket.CLOSED) open();
  });
  addEventListener('offline', () => {
    store.connection.value = { status: 'offline' };
    socket?.close();
  });
  open();
  return {
    close() {
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      socket?.close(1000, 'page closed');
    },
  };
}
