import { DurableObject } from 'cloudflare:workers';
import { createDb, type Database } from '../worker/db/client';
import { readConnection } from '../worker/feed/protocol';
import { flushIfDue } from '../worker/observability/flush';
import { errorMessage, log } from '../worker/observability/log';
import { metrics } from '../worker/observability/metrics';
import type { ActivityEvent } from '../worker/schemas/activity-event';
import {
  encodeFeedMessage,
  FEED_CLOSE,
  FEED_PING,
  FEED_PONG,
  MAX_CLIENT_MESSAGE_BYTES,
  parseClientMessage,
} from '../worker/schemas/feed-messages';
import { eventsAfter, newestEventId } from '../worker/services/activity';
import { FRAME_BURST, FRAMES_PER_SECOND, FrameBudget, nextExpiry, ReplaySlots } from './feed-limits';

/** Events kept in the object's own log; older ones are replayed from D1. */
export const FEED_LOG_LIMIT = 500;
/**
 * The most events a connect replays: an `after` further behind the newest event is closed with
 * 1001 "reload the page" (the page then starts from a fresh render) instead of reading the
 * user's whole history from D1. docs/api.md#live-feed, docs/capacity.md.
 */
export const MAX_REPLAY_EVENTS = 1000;
/** Open sockets per user (tabs, devices, programs); one more is closed with 1008 at once. */
export const MAX_SOCKETS_PER_USER = 32;
/** Rows per D1 read while replaying or filling a gap. */
const D1_PAGE = 500;
/** A client's `sync` reads D1 at most this often per feed; in between it is answered from the log. */
const SYNC_MIN_INTERVAL_MS = 1000;

/**
 * What each socket carries through hibernation. The runtime keeps it with the socket
 * (`serializeAttachment`, at most 2 KiB) while the object itself is evicted, so identity and
 * delivery cursor survive; nothing about a socket lives only in memory.
 * https://developers.cloudflare.com/durable-objects/best-practices/websockets/#websocket-hibernation-api
 */
interface SocketState {
  userId: string;
  /** The id of the last event this socket was sent; it is sent exactly the ids after it, in order. */
  cursor: number;
  expiresAt: number;
  /** Names the socket for its frame budget (feed-limits.ts). */
  id?: string;
  /** Digest of the token that opened it (worker/feed/protocol.ts): `revoke` closes by it. */
  tokenDigest?: string;
}

/** The close of a cursor the feed will not replay: 1001, on which the page reloads (web/client/feed.ts). */
const RELOAD = `More than ${MAX_REPLAY_EVENTS} events were missed, or they are past retention; reload the page.`;
/** The close a signed-out session's sockets get: the policy code, which the page does not retry. */
const SIGNED_OUT = 'The session was signed out; sign in again to reopen the feed.';

function stateOf(ws: WebSocket): SocketState | undefined {
  return (ws.deserializeAttachment() as SocketState | null) ?? undefined;
}

/**
 * One object per user (`idFromName(userId)`): that user's live activity feed.
 *
 * D1 is the source of truth; the object keeps a bounded, contiguous copy of the newest
 * events (ids `tail … head`) in its SQLite storage and pushes them to every open socket of
 * the user. Because ids grow by exactly one per user, a hand-off that arrives early, late or
 * never shows up as a gap, and the object fills it from D1 before sending anything newer.
 *
 * Sockets use the Hibernation API: the object may be evicted between messages while sockets
 * stay open; every handler therefore works from `ctx.getWebSockets()` and the attachments.
 */
export class ActivityFeed extends DurableObject<Env> {
  #sql: SqlStorage;
  #db: Database;
  #userId: string | undefined;
  /** Newest event id in the log (0 before the user's first event). */
  #head = 0;
  /** Oldest event id in the log; `head + 1` while the log is empty. */
  #tail = 1;
  /** Whether the log was ever seeded from D1; until a first connect, hand-offs are not kept. */
  #loaded = false;
  /** Sockets whose cursor is older than the log, being replayed from D1. Rebuilt lazily after eviction. */
  #replaying = new Set<WebSocket>();
  #reconciling: Promise<void> | undefined;
  #catchingUp: Promise<void> | undefined;
  #lastSyncAt = 0;
  /** Frames each socket may still send (feed-limits.ts). */
  readonly #frames = new FrameBudget();
  /** D1 replays run at most MAX_CONCURRENT_REPLAYS at a time for this user; the rest wait their turn. */
  readonly #replaySlots = new ReplaySlots();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#db = createDb(env.DB);
    // SQLite calls are synchronous, so this runs before any event is delivered; no blockConcurrencyWhile needed.
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS feed_events (id INTEGER PRIMARY KEY, frame TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS feed_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS feed_revoked (digest TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);`);
    const meta = new Map(
      this.#sql
        .exec<{ key: string; value: string }>('SELECT key, value FROM feed_meta')
        .toArray()
        .map((r) => [r.key, r.value]),
    );
    this.#userId = meta.get('userId');
    this.#loaded = meta.has('head');
    this.#head = Number(meta.get('head') ?? 0);
    const [oldest] = this.#sql.exec<{ id: number | null }>('SELECT min(id) AS id FROM feed_events').toArray();
    this.#tail = oldest?.id ?? this.#head + 1;
    // Keep-alives are answered by the runtime without waking the object, so idle feeds stay hibernated.
    // https://developers.cloudflare.com/durable-objects/api/state/#setwebsocketautoresponse
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(FEED_PING, FEED_PONG));
  }

  /** Liveness probe for the health check: a real round trip to the object. */
  async ping(): Promise<{ ok: true; at: number }> {
    return { ok: true, at: Date.now() };
  }

  /** Open sockets right now (hibernated ones included). */
  async connections(): Promise<number> {
    return this.#openSockets().length;
  }

  /**
   * Closes every socket opened with the token of this digest (a logout), and refuses that token
   * from now until it expires: a connect that was verified before the logout and arrives after
   * it is refused too. Answers how many sockets it closed; the close frames are on their way
   * when it returns, so `POST /logout` answers after them.
   */
  async revoke(tokenDigest: string, expiresAt: number): Promise<number> {
    const now = Date.now();
    this.#sql.exec('DELETE FROM feed_revoked WHERE expires_at <= ?', now);
    if (expiresAt > now) {
      this.#sql.exec('INSERT OR REPLACE INTO feed_revoked (digest, expires_at) VALUES (?, ?)', tokenDigest, expiresAt);
    }
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) {
      if (stateOf(ws)?.tokenDigest !== tokenDigest) continue;
      this.#replaying.delete(ws);
      close(ws, FEED_CLOSE.policy, SIGNED_OUT);
      closed++;
    }
    return closed;
  }

  #isRevoked(tokenDigest: string): boolean {
    return this.#sql.exec('SELECT 1 FROM feed_revoked WHERE digest = ? AND expires_at > ?', tokenDigest, Date.now()).toArray().length > 0;
  }

  /**
   * Hands over an event that D1 has committed. Idempotent and order-tolerant: a duplicate is
   * ignored, an event ahead of the log first pulls the missing ones from D1.
   */
  async publish(userId: string, event: ActivityEvent): Promise<void> {
    this.#adopt(userId);
    if (this.#reconciling) await this.#reconciling;
    // Nobody has connected yet: the first connect seeds the log from D1, which has this event.
    if (!this.#loaded || event.id <= this.#head) return;
    if (event.id > this.#head + 1) {
      try {
        await this.#catchUp();
        // A catch-up already in flight may have read D1 before this event committed; one more read sees it.
        if (event.id > this.#head + 1) await this.#catchUp();
      } catch (err) {
        this.#closeAll(FEED_CLOSE.error, 'The feed could not reach its history; reconnect with ?after=<last event id>.');
        throw err;
      }
      if (event.id > this.#head + 1) throw new Error(`D1 has no events ${this.#head + 1}…${event.id - 1} for ${userId}`);
    }
    this.#extend([event]);
  }

  /** A WebSocket upgrade forwarded by the worker's `GET /api/v1/feed` after it authenticated the caller. */
  override async fetch(request: Request): Promise<Response> {
    const connection = readConnection(request);
    if (!connection || request.headers.get('Upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('ActivityFeed accepts only WebSocket upgrades forwarded by the worker.', { status: 400 });
    }
    this.#adopt(connection.userId);
    // Every connect checks the log against D1, so an event whose hand-off was lost reaches
    // this socket (and the others) now instead of at the user's next write.
    await this.#reconcile();
    const after = connection.after ?? this.#head;
    if (after > this.#head) {
      return Response.json(
        { detail: `after=${after} is newer than the newest event (${this.#head}); resume with an id you received.` },
        { status: 400 },
      );
    }
    if (this.#isRevoked(connection.tokenDigest)) return refuse(FEED_CLOSE.policy, SIGNED_OUT);
    if (this.#head - after > MAX_REPLAY_EVENTS) return refuse(FEED_CLOSE.goingAway, RELOAD);
    // Counted after the await above, so connects that arrive together cannot all pass the cap.
    if (this.#openSockets().length >= MAX_SOCKETS_PER_USER) {
      return refuse(FEED_CLOSE.policy, `At most ${MAX_SOCKETS_PER_USER} feeds may be open per user; close another tab or client.`);
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({
      userId: connection.userId,
      cursor: after,
      expiresAt: connection.expiresAt,
      id: crypto.randomUUID(),
      tokenDigest: connection.tokenDigest,
    } satisfies SocketState);
    await this.#wakeAtExpiry(connection.expiresAt);
    server.send(encodeFeedMessage({ type: 'ready', lastEventId: this.#head }));
    metrics.websocketOpened();
    metrics.websocketMessages('out');
    this.#pump(server);
    await flushIfDue(this.env);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    metrics.websocketMessages('in');
    if (!this.#frames.take(stateOf(ws)?.id ?? '')) {
      return close(ws, FEED_CLOSE.policy, `Too many messages: at most ${FRAME_BURST} at once and ${FRAMES_PER_SECOND} a second.`);
    }
    if (typeof message !== 'string') return close(ws, FEED_CLOSE.policy, 'Send JSON text frames: {"type":"ping"} or {"type":"sync"}.');
    if (message.length > MAX_CLIENT_MESSAGE_BYTES || new TextEncoder().encode(message).byteLength > MAX_CLIENT_MESSAGE_BYTES) {
      return close(ws, FEED_CLOSE.policy, `Messages are limited to ${MAX_CLIENT_MESSAGE_BYTES} bytes.`);
    }
    const parsed = parseClientMessage(message);
    if (!parsed) return close(ws, FEED_CLOSE.policy, 'Unknown message; send {"type":"ping"} or {"type":"sync"}.');
    const state = stateOf(ws);
    if (!state || this.#expired(ws, state)) return;
    if (parsed.type === 'ping') {
      if (send(ws, FEED_PONG)) metrics.websocketMessages('out');
      return;
    }
    // sync: the client suspects a miss (e.g. a tab back from the background); check D1, then resend from its cursor.
    if (Date.now() - this.#lastSyncAt >= SYNC_MIN_INTERVAL_MS) {
      this.#lastSyncAt = Date.now();
      this.#adopt(state.userId);
      await this.#catchUp().catch((err: unknown) => logFailure('feed sync failed', state.userId, err));
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    if (send(ws, encodeFeedMessage({ type: 'ready', lastEventId: this.#head }))) metrics.websocketMessages('out');
    this.#pump(ws);
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // The web_socket_auto_reply_to_close flag (compat date 2026-04-07) covers accept() only: a
    // hibernatable socket must echo the close itself, or the client ends on 1006 after its timeout.
    close(ws, echoableCode(code), '');
    this.#replaying.delete(ws);
    this.#frames.forget(stateOf(ws)?.id ?? '');
    // Counted only: I/O here would run as sockets close at shutdown; the next flush carries it.
    metrics.websocketClosed();
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.#drop(ws, error);
  }

  #adopt(userId: string): void {
    if (this.#userId === userId) return;
    if (this.#userId !== undefined) throw new Error(`ActivityFeed of ${this.#userId} was addressed as ${userId}; use idFromName(userId).`);
    this.#userId = userId;
    this.#sql.exec("INSERT OR REPLACE INTO feed_meta (key, value) VALUES ('userId', ?)", userId);
  }

  #openSockets(): WebSocket[] {
    return this.ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN);
  }

  /** Brings the log level with D1: seeds it on first use, fills anything newer, reseeds if D1 went backwards. */
  #reconcile(): Promise<void> {
    this.#reconciling ??= this.#checkAgainstD1().finally(() => {
      this.#reconciling = undefined;
    });
    return this.#reconciling;
  }

  async #checkAgainstD1(): Promise<void> {
    const userId = this.#userId!;
    const newest = await newestEventId(this.#db, userId);
    if (this.#loaded && newest >= this.#head && newest - this.#head <= FEED_LOG_LIMIT) {
      if (newest > this.#head) await this.#catchUp();
      return;
    }
    if (this.#loaded && newest < this.#head) {
      // D1's history was replaced (restore, local re-seed): cursors held by clients mean nothing now.
      this.#closeAll(FEED_CLOSE.goingAway, 'The feed history was reset; reload the page.');
    }
    // First use, or far behind: start the log at the newest events; sockets older than it replay from D1.
    const newestFrom = Math.max(0, newest - FEED_LOG_LIMIT);
    const events = await eventsAfter(this.#db, userId, newestFrom, FEED_LOG_LIMIT);
    // The retention may have pruned the start of that range: the log starts where D1's history does.
    const from = Math.max(newestFrom, (events[0]?.id ?? newestFrom + 1) - 1);
    this.#sql.exec('DELETE FROM feed_events');
    this.#head = from;
    this.#tail = from + 1;
    this.#loaded = true;
    this.#saveHead();
    this.#extend(events);
    this.#broadcast();
  }

  /** Appends what D1 holds after the head; concurrent callers share one read. */
  #catchUp(): Promise<void> {
    this.#catchingUp ??= this.#readNewer().finally(() => {
      this.#catchingUp = undefined;
    });
    return this.#catchingUp;
  }

  async #readNewer(): Promise<void> {
    for (;;) {
      const events = await eventsAfter(this.#db, this.#userId!, this.#head, D1_PAGE);
      // Hand-offs may have appended while D1 answered; #extend skips what the log already has.
      this.#extend(events);
      if (events.length < D1_PAGE) return;
    }
  }

  /**
   * Takes the events that continue the log without a gap: sends them to every socket that is
   * up to date, then appends them to the log (trimmed to its bound) and catches up the rest.
   *
   * The sends come first on purpose. The output gate holds every message an object sends after
   * a storage write until that write is durable; these events are durable in D1 already and
   * the log is only a copy, so live delivery need not wait for it. If the write failed, the
   * object would restart and rebuild the log from D1; no socket would see a gap.
   * https://blog.cloudflare.com/durable-objects-easy-fast-correct-choose-three/
   */
  #extend(events: ActivityEvent[]): void {
    const fresh: { id: number; frame: string }[] = [];
    let next = this.#head + 1;
    for (const event of events) {
      if (event.id < next) continue;
      if (event.id !== next) break;
      fresh.push({ id: event.id, frame: encodeFeedMessage({ type: 'event', event }) });
      next++;
    }
    if (fresh.length === 0) return;
    const from = this.#head;
    const to = fresh.at(-1)!.id;
    const behind: WebSocket[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      const state = ws.readyState === WebSocket.OPEN && !this.#replaying.has(ws) ? stateOf(ws) : undefined;
      if (state?.cursor !== from || state.expiresAt <= Date.now()) {
        behind.push(ws);
        continue;
      }
      try {
        for (const { frame } of fresh) ws.send(frame);
        metrics.websocketMessages('out', fresh.length);
        ws.serializeAttachment({ ...state, cursor: to } satisfies SocketState);
      } catch (err) {
        this.#drop(ws, err);
      }
    }
    for (const { id, frame } of fresh) this.#sql.exec('INSERT OR REPLACE INTO feed_events (id, frame) VALUES (?, ?)', id, frame);
    this.#head = to;
    const keepFrom = this.#head - FEED_LOG_LIMIT + 1;
    if (keepFrom > this.#tail) {
      this.#sql.exec('DELETE FROM feed_events WHERE id < ?', keepFrom);
      this.#tail = keepFrom;
    }
    this.#saveHead();
    for (const ws of behind) this.#pump(ws);
  }

  #saveHead(): void {
    this.#sql.exec("INSERT OR REPLACE INTO feed_meta (key, value) VALUES ('head', ?)", String(this.#head));
  }

  /** Sends every open socket what it has not had yet. Each socket is independent: one failing never stops the rest. */
  #broadcast(): void {
    for (const ws of this.ctx.getWebSockets()) this.#pump(ws);
  }

  /** Sends one socket the events after its cursor, from the log, or starts a D1 replay when the log does not reach back. */
  #pump(ws: WebSocket): void {
    if (ws.readyState !== WebSocket.OPEN || this.#replaying.has(ws)) return;
    const state = stateOf(ws);
    if (!state) {
      close(ws, FEED_CLOSE.error, 'This feed lost its state; reconnect with ?after=<last event id>.');
      return;
    }
    if (this.#expired(ws, state) || state.cursor >= this.#head) return;
    if (this.#head - state.cursor > MAX_REPLAY_EVENTS) {
      close(ws, FEED_CLOSE.goingAway, RELOAD);
      return;
    }
    if (state.cursor < this.#tail - 1) {
      this.#replay(ws);
      return;
    }
    let cursor = state.cursor;
    try {
      for (const row of this.#sql.exec<{ id: number; frame: string }>(
        'SELECT id, frame FROM feed_events WHERE id > ? ORDER BY id',
        cursor,
      )) {
        ws.send(row.frame);
        cursor = row.id;
      }
      metrics.websocketMessages('out', cursor - state.cursor);
      ws.serializeAttachment({ ...state, cursor } satisfies SocketState);
    } catch (err) {
      this.#drop(ws, err);
    }
  }

  /**
   * Replays a socket from D1 up to where the log starts, then hands it back to `#pump`.
   * Live broadcasts skip it meanwhile, so older events can never overtake newer ones.
   */
  #replay(ws: WebSocket): void {
    if (this.#replaying.has(ws)) return;
    this.#replaying.add(ws);
    const run = async () => {
      const release = await this.#replaySlots.acquire();
      try {
        for (;;) {
          const state = stateOf(ws);
          if (!state || ws.readyState !== WebSocket.OPEN) return;
          if (state.cursor >= this.#tail - 1) break;
          const events = await eventsAfter(this.#db, state.userId, state.cursor, Math.min(D1_PAGE, this.#tail - 1 - state.cursor));
          if (ws.readyState !== WebSocket.OPEN) return;
          if (events[0]?.id !== state.cursor + 1) {
            // Pruned by the retention (worker/events/relay.ts): only a fresh page can show what is left.
            close(ws, FEED_CLOSE.goingAway, RELOAD);
            return;
          }
          let cursor = state.cursor;
          for (const event of events) {
            if (event.id !== cursor + 1) throw new Error(`D1 skips from ${cursor} to ${event.id} for ${state.userId}`);
            ws.send(encodeFeedMessage({ type: 'event', event }));
            cursor = event.id;
          }
          metrics.websocketMessages('out', cursor - state.cursor);
          ws.serializeAttachment({ ...state, cursor } satisfies SocketState);
        }
      } catch (err) {
        this.#drop(ws, err);
        return;
      } finally {
        release();
        this.#replaying.delete(ws);
      }
      this.#pump(ws);
    };
    this.ctx.waitUntil(run());
  }

  /** Closes the sockets whose token has expired, then sleeps until the next one does. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const expiries: number[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      const state = stateOf(ws);
      if (state && !this.#expired(ws, state)) expiries.push(state.expiresAt);
    }
    const next = nextExpiry(expiries, now);
    if (next !== undefined) await this.ctx.storage.setAlarm(next);
  }

  /** Makes sure the object wakes by `expiresAt` (one alarm per object: the earliest wins). */
  async #wakeAtExpiry(expiresAt: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > expiresAt) await this.ctx.storage.setAlarm(expiresAt);
  }

  #expired(ws: WebSocket, state: SocketState): boolean {
    if (state.expiresAt > Date.now()) return false;
    close(ws, FEED_CLOSE.policy, 'The session expired; reconnect with a fresh token and ?after=<last event id>.');
    return true;
  }

  /** A socket that errors is closed and forgotten; it never holds up the others. */
  #drop(ws: WebSocket, err: unknown): void {
    this.#replaying.delete(ws);
    logFailure('feed socket dropped', stateOf(ws)?.userId ?? this.#userId, err);
    close(ws, FEED_CLOSE.error, 'The feed could not deliver; reconnect with ?after=<last event id>.');
  }

  #closeAll(code: number, reason: string): void {
    for (const ws of this.ctx.getWebSockets()) close(ws, code, reason);
    this.#replaying.clear();
  }
}

/** Answers an upgrade with a socket that closes at once: a browser can read a close reason, not an HTTP status. */
function refuse(code: number, reason: string): Response {
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  server.accept();
  server.close(code, reason);
  return new Response(null, { status: 101, webSocket: client });
}

function send(ws: WebSocket, frame: string): boolean {
  try {
    ws.send(frame);
    return true;
  } catch {
    return false;
  }
}

/** The code to answer a peer's close with: its own when a script may send it, else 1000 (1005/1006/1015 are never sent). */
function echoableCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
}

/** Close reasons are limited to 123 bytes (RFC 6455 §5.5); ours are ASCII and shorter. */
function close(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason.slice(0, 123));
  } catch {
    // Already closing or closed: nothing left to tell the peer.
  }
}

function logFailure(msg: string, userId: string | undefined, err: unknown): void {
  log.error(msg, { userId, error: errorMessage(err) });
}
