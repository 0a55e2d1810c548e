import { DurableObject } from 'cloudflare:workers';
import { addCounters, type CacheCounters, emptyCounters } from '../worker/cache/counters';
import type { CoordinatorStats, PurgeResult, SyncResult } from '../worker/cache/protocol';
import {
  applyPurge,
  emptyPurgeState,
  type PurgeScope,
  type PurgeState,
  prunePurgeState,
  purgeStateSince,
} from '../worker/cache/purge-state';

/**
 * The one strongly consistent place (a single object, `idFromName('global')`) that knows the
 * cache's purge generations. KV cannot hold them: it is eventually consistent (a new value can
 * take 60 s or more to reach other locations) and takes about one write per second per key
 * (https://developers.cloudflare.com/kv/platform/limits/), so a burst of purges there would
 * both lag and fail. Here a purge is one storage write, and purges run one after another in
 * the object's input gate, so a storm of them is just a queue.
 */
export class CacheCoordinator extends DurableObject<Env> {
  #state: PurgeState = emptyPurgeState();
  #counters: CacheCounters = emptyCounters();
  #countersSince = Date.now();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.#state = (await ctx.storage.get<PurgeState>('state')) ?? emptyPurgeState();
      this.#counters = (await ctx.storage.get<CacheCounters>('counters')) ?? emptyCounters();
      this.#countersSince = (await ctx.storage.get<number>('countersSince')) ?? Date.now();
    });
  }

  /** What an isolate knowing purges up to `sinceSeq` must learn; adds its counter increments. */
  async sync(sinceSeq: number, increments: CacheCounters | null): Promise<SyncResult> {
    if (increments) {
      addCounters(this.#counters, increments);
      // Not awaited on purpose: the output gate holds the reply until the write is durable.
      this.ctx.storage.put('counters', this.#counters);
    }
    const full = sinceSeq <= 0 || sinceSeq > this.#state.seq;
    return { state: purgeStateSince(this.#state, sinceSeq), full };
  }

  async purge(scope: PurgeScope): Promise<PurgeResult> {
    const now = Date.now();
    prunePurgeState(this.#state, now);
    const applied = applyPurge(this.#state, scope, now);
    await this.ctx.storage.put('state', this.#state);
    return { ...applied, state: structuredClone(this.#state) };
  }

  async stats(): Promise<CoordinatorStats> {
    return { state: structuredClone(this.#state), counters: structuredClone(this.#counters), countersSince: this.#countersSince };
  }

  /** Liveness probe for the health check: a real round trip to the object. */
  async ping(): Promise<{ ok: true; at: number }> {
    return { ok: true, at: Date.now() };
  }
}
