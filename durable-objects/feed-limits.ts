/**
 * What one feed socket may cost the object. A client has nothing to send but `ping` (keepalive,
 * answered by the runtime without waking the object) and `sync` (after a tab wakes, which may
 * read D1), a few a minute; every other frame wakes the object and is parsed, so each socket
 * gets a token bucket of those frames. Over it, the socket is closed with 1008
 * (policy violation, RFC 6455 §7.4.1). Kept in memory: a hibernating object has had idle
 * sockets, so a budget lost with it was full anyway.
 */
export const FRAME_BURST = 20;
export const FRAMES_PER_SECOND = 1;

export class FrameBudget {
  /**
   * By socket id (kept in the socket's attachment): the runtime may hand the object a new
   * WebSocket wrapper for each event of a hibernatable socket, so the object is no key.
   */
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  /** Spends one frame of the socket's budget; false when it is exhausted. */
  take(socketId: string, now = Date.now()): boolean {
    const bucket = this.#buckets.get(socketId) ?? { tokens: FRAME_BURST, at: now };
    bucket.tokens = Math.min(FRAME_BURST, bucket.tokens + ((now - bucket.at) / 1000) * FRAMES_PER_SECOND);
    bucket.at = now;
    this.#buckets.set(socketId, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  forget(socketId: string): void {
    this.#buckets.delete(socketId);
  }
}

/**
 * When the object should next wake to close sockets whose token has expired: the earliest
 * expiry still ahead, or undefined when no socket has one. A socket that never sends and gets
 * no events would otherwise stay open on a dead token until the client leaves.
 */
export function nextExpiry(expiries: readonly number[], now = Date.now()): number | undefined {
  let next: number | undefined;
  for (const at of expiries) if (at > now && (next === undefined || at < next)) next = at;
  return next;
}

/**
 * D1 replays one feed object runs at once (one per socket whose cursor is older than the log,
 * each at most MAX_REPLAY_EVENTS - FEED_LOG_LIMIT rows); the others wait in arrival order. So
 * 32 sockets reconnecting with an old `after` cost the user's D1 two reads at a time, not 32.
 */
export const MAX_CONCURRENT_REPLAYS = 2;

export class ReplaySlots {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly limit = MAX_CONCURRENT_REPLAYS) {}

  /** Resolves when a slot is free; call the answer once to give it back. */
  async acquire(): Promise<() => void> {
    if (this.#running >= this.limit) await new Promise<void>((r) => this.#waiting.push(r));
    else this.#running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so a newcomer cannot overtake it.
      if (next) next();
      else this.#running--;
    };
  }

  get running(): number {
    return this.#running;
  }
}
