import { env } from 'cloudflare:workers';
import { type FeedServerMessage, parseServerMessage } from '../../worker/schemas/feed-messages';
import { authHeaders } from './auth';
import { call, json } from './http';

export interface FeedClient {
  ws: WebSocket;
  /** Every frame received, parsed with the shared wire schema (a frame that fails it fails the test). */
  messages: FeedServerMessage[];
  closed?: { code: number; reason: string };
  /** Ids of the `event` messages, in arrival order. */
  eventIds(): number[];
  /** Waits until `predicate` holds over the messages received so far. */
  until(predicate: (messages: FeedServerMessage[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Waits for the first `ready` and returns its `lastEventId`. */
  ready(): Promise<number>;
}

/** The worker's answer to an upgrade; status 101 carries the client end in `webSocket`. */
export async function upgrade(path: string, headers: Record<string, string>): Promise<Response> {
  return call(path, { headers: { Upgrade: 'websocket', ...headers } });
}

/** Opens a feed through the worker exactly as a program would (bearer token, no Origin). */
export async function openFeed(userId: string, options: { after?: number; headers?: Record<string, string> } = {}): Promise<FeedClient> {
  const query = options.after === undefined ? '' : `?after=${options.after}`;
  const res = await upgrade(`/api/v1/feed${query}`, options.headers ?? (await authHeaders(userId)));
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade refused: ${res.status} ${await res.text()}`);
  return wrap(res.webSocket);
}

export function wrap(ws: WebSocket): FeedClient {
  ws.accept();
  const client: FeedClient = {
    ws,
    messages: [],
    eventIds: () => client.messages.flatMap((m) => (m.type === 'event' ? [m.event.id] : [])),
    async until(predicate, what, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(client.messages)) {
        if (Date.now() > deadline) {
          throw new Error(
            `timed out waiting for ${what}; got ${JSON.stringify(client.messages.slice(-5))}, closed ${JSON.stringify(client.closed)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async ready() {
      await client.until((m) => m.some((x) => x.type === 'ready'), 'ready');
      const ready = client.messages.find((x) => x.type === 'ready');
      return ready?.type === 'ready' ? ready.lastEventId : -1;
    },
  };
  ws.addEventListener('message', (e) => {
    const message = parseServerMessage(e.data);
    if (!message) throw new Error(`frame outside the wire schema: ${String(e.data)}`);
    client.messages.push(message);
  });
  ws.addEventListener('close', (e) => {
    client.closed = { code: e.code, reason: e.reason };
  });
  return client;
}

/** Creates a task through the API and returns the id of the event it recorded. */
export async function createTask(userId: string, title: string, headers?: Record<string, string>): Promise<number> {
  const res = await call('/api/v1/tasks', json({ title }, headers ?? (await authHeaders(userId))));
  if (res.status !== 201) throw new Error(`create task: ${res.status} ${await res.text()}`);
  return (await res.json<{ event: { id: number } }>()).event.id;
}

export function feedStub(userId: string) {
  return env.ACTIVITY_FEED.get(env.ACTIVITY_FEED.idFromName(userId));
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
