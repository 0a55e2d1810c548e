// Types only: the shared wire module validates with zod, which would add 8 KB gzipped or more
// (over half again) to the page's script. The compiler still ties this client to that protocol.
import type { FeedClientMessage, FeedServerMessage } from '../../worker/schemas/feed-messages';
import type { Store } from '../signal-store';
import { addEvents, lastEventId } from './events';

type ServerMessage = FeedServerMessage;

export const BACKOFF = { baseMs: 500, maxMs: 30_000 } as const;
/** Exactly the shared FEED_PING frame: the runtime answers it without waking the feed object. */
const PING = JSON.stringify({ type: 'ping' } satisfies FeedClientMessage);
const PING_EVERY_MS = 25_000;
/** Close codes (FEED_CLOSE in the wire module): retrying cannot help after a policy close (session expired, too many feeds). */
const NO_RETRY = new Set([1008]);
/** 1001: the server reset the feed (its history no longer matches ours): only a fresh page is whole. */
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
export function connectFeed(store: Store, onEvent: (event: Extract<ServerMessage, { type: 'event' }>['event']) => void): { close(): void } {
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

  /** Forgets the current socket without letting its close schedule a retry. */
  const drop = () => {
    clearInterval(pingTimer);
    clearTimeout(retryTimer);
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.close();
    socket = undefined;
  };
  // The browser knows better than any timer: go offline at once, reconnect as soon as it is back.
  addEventListener('offline', () => {
    drop();
    store.connection.value = { status: 'offline' };
  });
  addEventListener('online', () => {
    attempt = 0;
    drop();
    open();
  });
  open();
  return {
    close() {
      stopped = true;
      drop();
    },
  };
}
