/**
 * `feed`: 1000 live-feed WebSockets over 100 users (10 per user), then task writes through
 * the API at a steady rate. Fan-out latency is measured per socket from the moment the
 * write's HTTP response has been read to the moment the event arrives on that socket; every
 * socket of the writer must receive every event exactly once (missing and duplicates count).
 */
import WebSocket from 'ws';
import { errorMessage } from '../../worker/observability/log';
import { parseServerMessage } from '../../worker/schemas/feed-messages';
import { phaseReport } from '../lib/report';
import type { Scenario, ScenarioContext } from '../lib/scenario';
import { type RawSample, summarize, summarizeLatencies } from '../lib/stats';
import type { LoadUser } from '../lib/users';

const MAX_SOCKETS = 5000;
const CONNECT_TIMEOUT_MS = 15_000;
/** How long to wait for stragglers once the last write has answered. */
const DRAIN_MS = 5000;

interface OpenSocket {
  ws: WebSocket;
  user: LoadUser;
  seen: Set<number>;
  /** The id the next event must carry: `ready.lastEventId + 1`, then one more per event. */
  nextId: number;
  /** Frames outside the shared wire schema, and events that arrived out of id order. */
  invalid: number;
  outOfOrder: number;
}

interface Write {
  user: string;
  startedAt: number;
  returnedAt: number | null;
  /** Open sockets of that user when the write went out: each must receive the event. */
  expected: number;
  /** Arrivals (ms timestamps) before and after the response was read. */
  arrivals: number[];
}

/** Opens one feed socket; resolves once the server said `ready`. */
function connect(ctx: ScenarioContext, user: LoadUser, onEvent: (s: OpenSocket, id: number, at: number) => void): Promise<OpenSocket> {
  const url = `${ctx.url.replace(/^http/, 'ws')}/api/v1/feed`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: user.auth } });
    const socket: OpenSocket = { ws, user, seen: new Set(), nextId: 0, invalid: 0, outOfOrder: 0 };
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no ready message within 15 s'));
    }, CONNECT_TIMEOUT_MS);
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`HTTP ${res.statusCode}`));
      ws.terminate();
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('message', (data) => {
      const at = performance.now();
      // The shared wire module validates every frame, so the run also checks the protocol.
      const message = parseServerMessage(String(data));
      if (!message) {
        socket.invalid++;
        return;
      }
      if (message.type === 'ready') {
        clearTimeout(timer);
        socket.nextId = message.lastEventId + 1;
        resolve(socket);
      } else if (message.type === 'event') {
        if (message.event.id !== socket.nextId) socket.outOfOrder++;
        socket.nextId = message.event.id + 1;
        onEvent(socket, message.event.id, at);
      }
    });
  });
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

export const feed: Scenario = {
  name: 'feed',
  description:
    '1000 WebSockets on GET /api/v1/feed over 100 users (--sockets), then 10 task writes/s (--duration, default 20 s): fan-out latency from the write answering to delivery on every socket.',
  defaultDurationSec: 20,
  users: 100,
  async run(ctx) {
    const socketsWanted = Math.min(MAX_SOCKETS, ctx.options.sockets ? Number(ctx.options.sockets) : 1000);
    if (!(socketsWanted >= 1)) throw new Error(`--sockets must be a positive number, got ${ctx.options.sockets}`);
    const writesPerSec = 10;

    // Fail soft while the route is missing: the report says so instead of a wall of socket errors.
    const probe = await fetch(`${ctx.url}/api/v1/feed`, { headers: { authorization: ctx.users[0]!.auth } });
    await probe.arrayBuffer();
    if (probe.status === 404) {
      const message = 'GET /api/v1/feed answered 404: this build has no live feed yet, so there is nothing to measure.';
      ctx.log(message);
      ctx.note(message);
      ctx.extra.feed = { available: false, reason: message };
      return;
    }

    const writes = new Map<string, Write>();
    const early = new Map<string, number[]>();
    let duplicates = 0;
    let unexpected = 0;
    const onEvent = (socket: OpenSocket, id: number, at: number) => {
      if (socket.seen.has(id)) {
        duplicates++;
        return;
      }
      socket.seen.add(id);
      const key = `${socket.user.id}:${id}`;
      const write = writes.get(key);
      if (write) write.arrivals.push(at);
      else {
        // The event can beat the HTTP response to the client; it is matched once the response is read.
        const list = early.get(key) ?? [];
        list.push(at);
        early.set(key, list);
      }
    };

    // Connect: socket i belongs to user i mod 100, a few handshakes at a time.
    const started = performance.now();
    const open: OpenSocket[] = [];
    const connectMs: number[] = [];
    const connectErrors: Record<string, number> = {};
    await pool(
      Array.from({ length: socketsWanted }, (_, i) => ctx.users[i % ctx.users.length]!),
      25,
      async (user) => {
        const t = performance.now();
        try {
          open.push(await connect(ctx, user, onEvent));
          connectMs.push(performance.now() - t);
        } catch (err) {
          const reason = errorMessage(err);
          connectErrors[reason] = (connectErrors[reason] ?? 0) + 1;
        }
      },
    );
    const connectSec = (performance.now() - started) / 1000;
    ctx.log(`opened ${open.length} of ${socketsWanted} feed sockets in ${connectSec.toFixed(1)} s`);
    const perUser = new Map<string, number>();
    for (const s of open) perUser.set(s.user.id, (perUser.get(s.user.id) ?? 0) + 1);

    try {
      // Writes: a steady rate, round-robin over the users, each a real POST /tasks.
      const raw: RawSample = { latenciesMs: [], arrivalsSec: [], statusCodes: {}, errors: 0, cacheSeen: 0, cacheHits: 0, durationSec: 0 };
      const latencies = raw.latenciesMs as number[];
      const arrivalsSec = raw.arrivalsSec as number[];
      const created: { user: LoadUser; taskId: string }[] = [];
      const total = Math.max(1, Math.round(ctx.durationSec * writesPerSec));
      const writeStart = performance.now();
      const inFlight: Promise<void>[] = [];
      for (let n = 0; n < total; n++) {
        const due = writeStart + (n * 1000) / writesPerSec;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const user = ctx.users[n % ctx.users.length]!;
        const expected = perUser.get(user.id) ?? 0;
        inFlight.push(
          (async () => {
            const t = performance.now();
            try {
              const res = await fetch(`${ctx.url}/api/v1/tasks`, {
                method: 'POST',
                headers: { authorization: user.auth, 'content-type': 'application/json' },
                body: JSON.stringify({ title: `feed load ${n}`, priority: 'low' }),
              });
              // "Returned" = the response headers are in (the body is a few hundred bytes in the same packet).
              const returnedAt = performance.now();
              const body = (await res.json().catch(() => null)) as { task?: { id: string }; event?: { id: number } } | null;
              latencies.push(returnedAt - t);
              arrivalsSec.push((returnedAt - writeStart) / 1000);
              raw.statusCodes[res.status] = (raw.statusCodes[res.status] ?? 0) + 1;
              if (!res.ok || !body?.event) return;
              if (body.task) created.push({ user, taskId: body.task.id });
              const key = `${user.id}:${body.event.id}`;
              writes.set(key, { user: user.id, startedAt: t, returnedAt, expected, arrivals: early.get(key) ?? [] });
              early.delete(key);
            } catch {
              raw.errors++;
            }
          })(),
        );
      }
      await Promise.all(inFlight);
      raw.durationSec = (performance.now() - writeStart) / 1000;

      const expectedTotal = () => [...writes.values()].reduce((s, w) => s + w.expected, 0);
      const deliveredTotal = () => [...writes.values()].reduce((s, w) => s + w.arrivals.length, 0);
      const drainUntil = performance.now() + DRAIN_MS;
      while (deliveredTotal() < expectedTotal() && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 100));

      const fromResponse: number[] = [];
      const fromStart: number[] = [];
      let beforeResponse = 0;
      for (const w of writes.values()) {
        for (const at of w.arrivals) {
          const d = at - w.returnedAt!;
          if (d < 0) beforeResponse++;
          fromResponse.push(Math.max(0, d));
          fromStart.push(at - w.startedAt);
        }
      }
      for (const list of early.values()) unexpected += list.length;

      const stats = summarize(raw);
      // Writes are open-loop at a fixed rate; they are paired with the baseline at 10 connections.
      const baseline = await ctx.baselineAt(10, 10);
      ctx.record(phaseReport(`feed writes ${writesPerSec}/s (POST /tasks)`, 10, ctx.durationSec, stats, baseline));
      const fanout = summarizeLatencies(fromResponse);
      const expected = expectedTotal();
      const delivered = deliveredTotal();
      ctx.extra.feed = {
        available: true,
        users: perUser.size,
        socketsWanted,
        socketsOpen: open.length,
        connectErrors,
        connectMs: summarizeLatencies(connectMs),
        connectSec,
        writes: writes.size,
        writesFailed: total - writes.size,
        expectedDeliveries: expected,
        delivered,
        missing: expected - delivered,
        duplicates,
        outOfOrder: open.reduce((n, s) => n + s.outOfOrder, 0),
        invalidFrames: open.reduce((n, s) => n + s.invalid, 0),
        unmatchedEvents: unexpected,
        deliveredBeforeResponse: beforeResponse,
        fanoutFromResponseMs: fanout,
        fanoutFromRequestStartMs: summarizeLatencies(fromStart),
        fanoutP50RatioToBaselineP50: baseline.latencyMs.p50 > 0 ? fanout.p50 / baseline.latencyMs.p50 : null,
        fanoutP99RatioToBaselineP99: baseline.latencyMs.p99 > 0 ? fanout.p99 / baseline.latencyMs.p99 : null,
      };
      ctx.note(
        'fan-out ratios divide by the hello-world baseline at 10 connections (HTTP request latency), a yardstick for the runtime, not a like-for-like figure.',
      );
      ctx.log(
        `fan-out: ${delivered}/${expected} delivered, ${duplicates} duplicates, ${open.reduce((n, s) => n + s.outOfOrder, 0)} out of order; from response p50 ${fanout.p50.toFixed(1)} ms, p95 ${fanout.p95.toFixed(1)} ms, p99 ${fanout.p99.toFixed(1)} ms`,
      );

      // The created tasks are removed again so repeated runs keep the same data volume.
      await pool(created, 8, async ({ user, taskId }) => {
        await fetch(`${ctx.url}/api/v1/tasks/${taskId}`, { method: 'DELETE', headers: { authorization: user.auth } })
          .then((r) => r.arrayBuffer())
          .catch(() => {});
      });
    } finally {
      await Promise.all(
        open.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.ws.readyState === WebSocket.CLOSED) return resolve();
              const t = setTimeout(() => {
                s.ws.terminate();
                resolve();
              }, 2000);
              s.ws.once('close', () => {
                clearTimeout(t);
                resolve();
              });
              s.ws.close(1000, 'load test done');
            }),
        ),
      );
    }
  },
};
