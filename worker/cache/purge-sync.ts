import { errorMessage, log } from '../observability/log';
import { settledWithin } from '../time-limit';
import type { LookupCounts } from './lookup-counts';
import { coordinatorOf, type PurgeResult } from './protocol';
import { mergePurgeState, type PurgeScope, type PurgeState } from './purge-state';

/**
 * How long a request waits for a purge-generation sync (its own or one it joined) before it
 * goes on with the copy it has; also when a running sync counts as lost and is started again.
 */
const SYNC_TIMEOUT_MS = 1000;

/**
 * This isolate's copy of the purge generations, kept at most `syncMs` old by syncing with the
 * CacheCoordinator object (docs/architecture.md#purge-generations-in-a-durable-object). Each
 * sync also reports the isolate's cache counters.
 */
export class PurgeSync {
  #state: PurgeState | undefined;
  #stateAt = 0;
  #syncing: Promise<void> | undefined;
  #syncStartedAt = 0;

  constructor(
    readonly syncMs: number,
    readonly counts: LookupCounts,
  ) {}

  /** The copy if it may be used without a sync now; else undefined. Synchronous: the warm path's check. */
  current(now = Date.now()): PurgeState | undefined {
    if (!this.#state || now - this.#stateAt >= this.syncMs) return undefined;
    return this.#state;
  }

  /**
   * Makes sure the copy is at most `syncMs` old. Returns undefined when the coordinator has never
   * been reached: then nothing may be read from or written to the cache, because a purge this
   * isolate has not heard of might cover it.
   */
  async state(env: Env, now = Date.now()): Promise<PurgeState | undefined> {
    if (this.#state && now - this.#stateAt < this.syncMs) return this.#state;
    // One sync at a time, shared by the requests that need it meanwhile. It belongs to the
    // request that started it: if that request is cancelled (its client went away), the
    // runtime drops its I/O and the promise never settles. So a sync older than its time
    // limit is abandoned for a new one, and nobody waits on one longer than that limit:
    // a request that gives up keeps serving with the copy it has, as after a failed sync.
    if (!this.#syncing || now - this.#syncStartedAt > SYNC_TIMEOUT_MS) {
      const sync = this.#sync(env).finally(() => {
        if (this.#syncing === sync) this.#syncing = undefined;
      });
      this.#syncing = sync;
      this.#syncStartedAt = now;
    }
    await settledWithin(this.#syncing, SYNC_TIMEOUT_MS);
    return this.#state;
  }

  async #sync(env: Env): Promise<void> {
    // Taken before the call: the answer reflects every purge the object finished before it,
    // so the copy is trustworthy for syncMs from here, never from when the answer came back.
    const askedAt = Date.now();
    const increments = this.counts.takeUnreported();
    try {
      const result = await coordinatorOf(env).sync(this.#state?.seq ?? 0, increments);
      this.#state = mergePurgeState(this.#state ?? result.state, result.state, result.full || !this.#state);
      this.#stateAt = askedAt;
    } catch (err) {
      if (increments) this.counts.giveBack(increments);
      // Keep serving with the copy we have (a purge needs the coordinator too, so none can
      // have completed through it while it is unreachable from everywhere); retry in a second.
      this.#stateAt = this.#state ? askedAt - this.syncMs + 1000 : 0;
      log.error('cache coordinator sync failed', { error: errorMessage(err) });
    }
  }

  /** Purges through the coordinator, then waits until no isolate can still hold the old generations. */
  async purge(env: Env, scope: PurgeScope): Promise<PurgeResult & { effectiveAt: number }> {
    const result = await coordinatorOf(env).purge(scope);
    // This isolate knows at once; every other one re-syncs within syncMs of its last sync.
    this.#state = result.state;
    this.#stateAt = Date.now();
    await scheduler.wait(this.syncMs + 50);
    return { ...result, effectiveAt: Date.now() };
  }

  /** Forgets the copy (tests simulate a fresh isolate). */
  reset(): void {
    this.#state = undefined;
    this.#stateAt = 0;
  }
}
