import { DurableObject } from 'cloudflare:workers';
import {
  addCounters,
  applyPurge,
  type CacheCounters,
  type CoordinatorStats,
  emptyCounters,
  emptyPurgeState,
  PURGE_STATE_KEY,
  type PurgeResult,
  type PurgeScope,
  type PurgeState,
  prunePurgeState,
  type ReportResult,
} from '../worker/cache';
import { FanInPacer } from '../worker/fan-in';

/** KV takes about one write per second per key (https://developers.cloudflare.com/kv/platform/limits/). */
const KV_WRITE_GAP_MS = 1000;

/**
 * Counter reports this object accepts per second from all isolates together; each isolate is
 * told to wait long enough that they stay within it (worker/fan-in.ts).
 */
export const COUNTER_REPORTS_PER_SECOND = 50;

/**
 * The one strongly consistent place (a single object, `idFromName('global')`) where purges are
 * numbered. It is on no request's path: purges are rare admin actions, isolates learn the purge
 * state from KV (PURGE_STATE_KEY, published here after each purge), and their counter reports
 * are paced so that this object receives at most COUNTER_REPORTS_PER_SECOND of them, however
 * many isolates there are. Purges run one after another in the object's input gate, and a burst
 * of them shares one KV write per second, so a storm of purges is just a queue.
 */
export class CacheCoordinator extends DurableObject<Env> {
  #state: PurgeState = emptyPurgeState();
  #counters: CacheCounters = emptyCounters();
  #countersSince = Date.now();
  readonly #pacer = new FanInPacer({ budgetPerSecond: COUNTER_REPORTS_PER_SECOND, minIntervalMs: 1000 });
  /** The KV write under way or waiting for its turn; every purge recorded before it starts is in it. */
  #publishing: Promise<number> | undefined;
  #publishingStarted = false;
  #publishTurn = 0;
  #lastPublishAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.#state = (await ctx.storage.get<PurgeState>('state')) ?? emptyPurgeState();
      this.#counters = (await ctx.storage.get<CacheCounters>('counters')) ?? emptyCounters();
      this.#countersSince = (await ctx.storage.get<number>('countersSince')) ?? Date.now();
    });
  }

  /** Adds an isolate's counter increments; answers when it may report again. */
  async report(isolateId: string, increments: CacheCounters): Promise<ReportResult> {
    addCounters(this.#counters, increments);
    // Not awaited on purpose: the output gate holds the reply until the write is durable.
    this.ctx.storage.put('counters', this.#counters);
    return { nextReportInMs: this.#pacer.admit(isolateId, Date.now()) };
  }

  /**
   * The purge state, written to KV first: an isolate that finds PURGE_STATE_KEY absent calls
   * this, so state recorded before the key existed (purges made by the previous release)
   * reaches KV before anyone serves under it. Rare (only isolates that find no key), and its
   * writes share the one-a-second turn of the purges'.
   */
  async publishedState(): Promise<PurgeState> {
    await this.#publish();
    return structuredClone(this.#state);
  }

  /**
   * The previous release's per-second sync, kept one release so that its isolates, still
   * running during a gradual rollout, keep their purge state (expand/contract for RPC,
   * docs/deployment.md). Remove once no isolate of that release can be running.
   * @deprecated isolates read PURGE_STATE_KEY from KV instead.
   */
  async sync(_sinceSeq: number, increments: CacheCounters | null): Promise<{ state: PurgeState; full: true }> {
    if (increments) {
      addCounters(this.#counters, increments);
      this.ctx.storage.put('counters', this.#counters);
    }
    return { state: structuredClone(this.#state), full: true };
  }

  async purge(scope: PurgeScope): Promise<PurgeResult> {
    const now = Date.now();
    prunePurgeState(this.#state, now);
    const applied = applyPurge(this.#state, scope, now);
    await this.ctx.storage.put('state', this.#state);
    const publishedAt = await this.#publish();
    return { ...applied, state: structuredClone(this.#state), publishedAt };
  }

  /**
   * Writes the state to KV, at most once per KV_WRITE_GAP_MS: a purge that arrives while a
   * write waits for its turn joins it (the write reads the state when it starts, so it carries
   * that purge too). Answers when the write that includes the caller's purge finished.
   */
  #publish(): Promise<number> {
    if (this.#publishing && !this.#publishingStarted) return this.#publishing;
    this.#publishingStarted = false;
    const previous = this.#publishing ?? Promise.resolve(0);
    const turn = ++this.#publishTurn;
    this.#publishing = (async () => {
      await previous.catch(() => {});
      const waitMs = this.#lastPublishAt + KV_WRITE_GAP_MS - Date.now();
      if (waitMs > 0) await scheduler.wait(waitMs);
      this.#publishingStarted = true;
      try {
        await this.env.CACHE.put(PURGE_STATE_KEY, JSON.stringify(this.#state));
      } finally {
        this.#lastPublishAt = Date.now();
        if (this.#publishTurn === turn) this.#publishing = undefined;
      }
      return this.#lastPublishAt;
    })();
    return this.#publishing;
  }

  async stats(): Promise<CoordinatorStats> {
    return {
      state: structuredClone(this.#state),
      counters: structuredClone(this.#counters),
      countersSince: this.#countersSince,
      reporters: this.#pacer.callers,
    };
  }

  /** Liveness probe for the health check: a real round trip to the object. */
  async ping(): Promise<{ ok: true; at: number }> {
    return { ok: true, at: Date.now() };
  }
}
