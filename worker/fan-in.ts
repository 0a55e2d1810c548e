/**
 * Bounds the calls one Durable Object receives from every isolate of the deployment, whatever
 * their number. A Durable Object is one thread in one place (about a thousand simple requests a
 * second, https://developers.cloudflare.com/durable-objects/platform/limits/), while the number of
 * isolates grows with traffic and locations. So the object, not the caller, sets the pace: each
 * answer says how long that caller should wait before its next call, long enough that all the
 * callers it has heard from recently together stay within `budgetPerSecond`. Callers gather what
 * they would have sent meanwhile (counters, metric points) and send it in one call, so nothing is
 * lost: a busier deployment only makes each report cover a longer stretch.
 *
 * @example
 * const pacer = new FanInPacer({ budgetPerSecond: 50, minIntervalMs: 1000 });
 * const waitMs = pacer.admit(isolateId, Date.now()); // the caller's next report comes after waitMs
 */
export class FanInPacer {
  readonly budgetPerSecond: number;
  readonly minIntervalMs: number;
  /** Caller → time of its last call. */
  readonly #lastCall = new Map<string, number>();
  #intervalMs: number;
  #prunedAt = 0;

  constructor(options: { budgetPerSecond: number; minIntervalMs: number }) {
    this.budgetPerSecond = options.budgetPerSecond;
    this.minIntervalMs = options.minIntervalMs;
    this.#intervalMs = options.minIntervalMs;
  }

  /** Records a call from `caller` at `now` and answers how many milliseconds it should wait before the next. */
  admit(caller: string, now: number): number {
    this.#lastCall.set(caller, now);
    this.#prune(now);
    this.#intervalMs = Math.max(this.minIntervalMs, Math.ceil((this.#lastCall.size * 1000) / this.budgetPerSecond));
    return this.#intervalMs;
  }

  /** Callers heard from within the window (diagnostics and tests). */
  get callers(): number {
    return this.#lastCall.size;
  }

  /**
   * A caller is forgotten once it has missed two of its turns: the window must be longer than
   * the interval it was given, or callers on a long interval would drop out of the count, the
   * interval would shrink and the object would be flooded again.
   */
  #prune(now: number): void {
    if (now - this.#prunedAt < 1000) return;
    this.#prunedAt = now;
    const windowMs = 2 * this.#intervalMs + this.minIntervalMs;
    for (const [caller, at] of this.#lastCall) if (now - at > windowMs) this.#lastCall.delete(caller);
  }
}

let isolateId: string | undefined;

/**
 * A random id for this isolate, made on first use: the runtime forbids random numbers in the
 * global scope (https://developers.cloudflare.com/workers/observability/errors/).
 */
export function thisIsolateId(): string {
  isolateId ??= crypto.randomUUID();
  return isolateId;
}
