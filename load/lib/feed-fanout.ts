/**
 * Fan-out latency of the live feed: many sockets over many users, then task writes through
 * the API; for every write, the time from its HTTP response to the event's arrival on each
 * of that user's sockets. Also checks what the feed promises: every socket gets exactly its
 * user's events, in id order, once. Baselines from the same run: the write's own round trip
 * and the socket ping→pong round trip (answered by the runtime, no object involved).
 *
 * @example
 * ```ts
 * const result = await measureFanout({ url, users, socketsPerUser: 10, writes: 500 });
 * console.log(result.deliveryMs.p95);
 * ```
 */
import WebSocket from 'ws';
import { FEED_PING, parseServerMessage } from '../../worker/schemas/feed-messages';

export interface FanoutUser {
  id: string;
  /** `Authorization` header value. */
  auth: string;
}

export interface FanoutOptions {
  url: string;
  users: FanoutUser[];
  socketsPerUser: number;
  /** Task writes, spread round-robin over the users. */
  writes: number;
  /** Writes in flight at once (default 4). */
  writeConcurrency?: number;
  /** Ping round trips sampled for the baseline (default 200). */
  pings?: number;
  log?: (line: string) => void;
}

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface FanoutResult {
  users: number;
  sockets: number;
  writes: number;
  expectedDeliveries: number;
  deliveries: number;
  /** Deliveries that arrived before the write's response did (counted as 0 ms). */
  beforeResponse: number;
  /** Sockets whose event ids were not exactly ready+1, ready+2, … of their own user. */
  socketsOutOfOrder: number;
  duplicates: number;
  foreignEvents: number;
  connectMs: Percentiles;
  /** Write response → event on a socket, over every (write, socket) pair. */
  deliveryMs: Percentiles;
  /** Write response → event on the last of that user's sockets. */
  lastSocketMs: Percentiles;
  /** Baseline: the POST /api/v1/tasks round trip itself. */
  writeMs: Percentiles;
  /** Baseline: ping → pong on an open socket. */
  pingMs: Percentiles;
  closedEarly: number;
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  const round = (n: number) => Math.round(n * 100) / 100;
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0;
  return { n: sorted.length, p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), max: round(at(1)), mean: round(mean) };
}

interface Socket {
  user: FanoutUser;
  ws: WebSocket;
  ready: number;
  ids: number[];
  foreign: number;
  closed: boolean;
  onPong?: () => void;
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

export async function measureFanout(options: FanoutOptions): Promise<FanoutResult> {
  const log = options.log ?? (() => {});
  const wsUrl = `${options.url.replace(/^http/, 'ws')}/api/v1/feed`;
  /** Arrival times per `${userId}#${eventId}`. */
  const arrivals = new Map<string, number[]>();
  const sockets: Socket[] = [];
  const connectMs: number[] = [];
  const writes = Array.from({ length: options.writes }, (_, i) => options.users[i % options.users.length]!);
  const titleOf = (i: number) => `fan-out ${i}`;

  const open = (user: FanoutUser) =>
    new Promise<Socket>((resolve, reject) => {
      const started = performance.now();
      const ws = new WebSocket(wsUrl, { headers: { Authorization: user.auth } });
      const socket: Socket = { user, ws, ready: -1, ids: [], foreign: 0, closed: false };
      const timer = setTimeout(() => reject(new Error(`no ready from ${wsUrl} for ${user.id} within 30 s`)), 30_000);
      ws.on('message', (data) => {
        const at = performance.now();
        const message = parseServerMessage(data.toString());
        if (message?.type === 'ready' && socket.ready < 0) {
          socket.ready = message.lastEventId;
          connectMs.push(at - started);
          clearTimeout(timer);
          resolve(socket);
        } else if (message?.type === 'event') {
          socket.ids.push(message.event.id);
          const title = String(message.event.payload.title ?? '');
          const index = title.startsWith('fan-out ') ? Number(title.slice(8)) : -1;
          if (index >= 0 && writes[index]?.id !== user.id) socket.foreign++;
          const key = `${user.id}#${message.event.id}`;
          const list = arrivals.get(key) ?? [];
          list.push(at);
          arrivals.set(key, list);
        } else if (message?.type === 'pong') {
          socket.onPong?.();
        }
      });
      ws.on('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        reject(new Error(`upgrade refused for ${user.id}: HTTP ${res.statusCode}`));
      });
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('close', () => {
        socket.closed = true;
      });
    });

  const plan = options.users.flatMap((user) => Array.from({ length: options.socketsPerUser }, () => user));
  log(`opening ${plan.length} sockets for ${options.users.length} users`);
  await pool(plan, 50, async (user) => {
    sockets.push(await open(user));
  });

  // Baseline 1: ping → pong on open sockets (the runtime answers; the object stays asleep).
  const pingMs: number[] = [];
  const pingCount = options.pings ?? 200;
  for (let i = 0; i < pingCount; i++) {
    const socket = sockets[(i * 7919) % sockets.length]!;
    const started = performance.now();
    await new Promise<void>((resolve) => {
      socket.onPong = () => {
        pingMs.push(performance.now() - started);
        resolve();
      };
      socket.ws.send(FEED_PING);
    });
  }

  // The writes: round-robin over users, a few in flight, each timed to its response.
  log(`writing ${options.writes} tasks (${options.writeConcurrency ?? 4} in flight)`);
  const writeMs: number[] = [];
  const responded = new Map<string, number>();
  await pool(writes, options.writeConcurrency ?? 4, async (user, i) => {
    const started = performance.now();
    const res = await fetch(`${options.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { Authorization: user.auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: titleOf(i) }),
    });
    const body = (await res.json()) as { event?: { id: number } };
    const done = performance.now();
    if (res.status !== 201 || !body.event) throw new Error(`POST /api/v1/tasks answered ${res.status}: ${JSON.stringify(body)}`);
    writeMs.push(done - started);
    responded.set(`${user.id}#${body.event.id}`, done);
  });

  // Let the last events land (bounded), then compare what arrived with what was written.
  const expectedDeliveries = options.writes * options.socketsPerUser;
  const deadline = performance.now() + 10_000;
  const delivered = () => [...responded.keys()].reduce((n, key) => n + (arrivals.get(key)?.length ?? 0), 0);
  while (delivered() < expectedDeliveries && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));

  const deliveryMs: number[] = [];
  const lastSocketMs: number[] = [];
  let beforeResponse = 0;
  for (const [key, at] of responded) {
    const times = arrivals.get(key) ?? [];
    for (const t of times) {
      if (t < at) beforeResponse++;
      deliveryMs.push(Math.max(0, t - at));
    }
    if (times.length) lastSocketMs.push(Math.max(0, Math.max(...times) - at));
  }

  let socketsOutOfOrder = 0;
  let duplicates = 0;
  for (const socket of sockets) {
    const seen = new Set<number>();
    for (const id of socket.ids) {
      if (seen.has(id)) duplicates++;
      seen.add(id);
    }
    if (socket.ids.some((id, i) => id !== socket.ready + 1 + i)) socketsOutOfOrder++;
  }

  for (const socket of sockets) socket.ws.close(1000, 'load run over');
  return {
    users: options.users.length,
    sockets: sockets.length,
    writes: options.writes,
    expectedDeliveries,
    deliveries: delivered(),
    beforeResponse,
    socketsOutOfOrder,
    duplicates,
    foreignEvents: sockets.reduce((n, s) => n + s.foreign, 0),
    connectMs: percentiles(connectMs),
    deliveryMs: percentiles(deliveryMs),
    lastSocketMs: percentiles(lastSocketMs),
    writeMs: percentiles(writeMs),
    pingMs: percentiles(pingMs),
    closedEarly: sockets.filter((s) => s.closed).length,
  };
}
