import { thisIsolateId } from '../fan-in';
import { errorMessage, log } from '../observability/log';
import { settledWithin } from '../time-limit';
import type { WaitUntil } from './fragment';
import type { LookupCounts } from './lookup-counts';
import { coordinatorOf, PURGE_STATE_KEY, type PurgeResult, purgePropagationMs } from './protocol';
import type { PurgeScope, PurgeState } from './purge-state';

/**
 * How long a request waits for a purge-generation read (its own or one it joined) before it
 * goes on with the copy it has; also when a running read counts as lost and is started again.
 */
const SYNC_TIMEOUT_MS = 1000;

/** How old a busy isolate lets its copy get before it reads the state again. */
const REFRESH_AFTER_MS = 500;

/** A counter report that has not answered in this long no longer holds back the next one. */
const REPORT_TIMEOUT_MS = 10_000;

/** A purge answers after waiting for every isolate to learn of it, up to this long; past it, it answers with a later `effectiveAt`. */
const MAX_PURGE_WAIT_MS = 5000;

/**
 * This isolate's copy of the purge generations, kept at most `syncMs` old by reading the state
 * the CacheCoordinator publishes to KV (docs/architecture.md#purge-generations). The copy is
 * refreshed in the background once it is `refreshMs` old (500 ms), so a busy isolate never makes
 * a request wait for it; only an idle isolate's first request after `syncMs` does. The cache counters go
 * to the coordinator separately, as often as the coordinator allows (fan-in.ts).
 */
export class PurgeSync {
  #state: PurgeState | undefined;
  #stateAt = 0;
  #syncing: Promise<void> | undefined;
  #syncStartedAt = 0;
  #nextReportAt = 0;

  /** A busy isolate starts its next read once the copy is this old (at most half of `syncMs`). */
  readonly refreshMs: number;

  constructor(
    readonly syncMs: number,
    readonly counts: LookupCounts,
  ) {
    this.refreshMs = Math.min(syncMs / 2, REFRESH_AFTER_MS);
  }

  /**
   * The copy if it may be used without a read now; else undefined. Synchronous: the warm path's
   * check. With `background`, a copy older than `refreshMs` starts its refresh in `waitUntil`.
   */
  current(now = Date.now(), background?: { env: Env; waitUntil: WaitUntil }): PurgeState | undefined {
    if (!this.#state || now - this.#stateAt >= this.syncMs) return undefined;
    if (background) this.#refreshAhead(background.env, background.waitUntil, now);
    return this.#state;
  }

  /**
   * Makes sure the copy is at most `syncMs` old. Returns undefined when the state has never been
   * read: then nothing may be read from or written to the cache, because a purge this isolate
   * has not heard of might cover it.
   */
  async state(env: Env, now = Date.now(), waitUntil?: WaitUntil): Promise<PurgeState | undefined> {
    if (this.#state && now - this.#stateAt < this.syncMs) {
      if (waitUntil) this.#refreshAhead(env, waitUntil, now);
      return this.#state;
    }
    await settledWithin(this.#start(env, now), SYNC_TIMEOUT_MS);
    if (waitUntil) this.#reportIfDue(env, waitUntil, now);
    return this.#state;
  }

  #refreshAhead(env: Env, waitUntil: WaitUntil, now: number): void {
    this.#reportIfDue(env, waitUntil, now);
    if (now - this.#stateAt < this.refreshMs || (this.#syncing && now - this.#syncStartedAt <= SYNC_TIMEOUT_MS)) return;
    waitUntil(this.#start(env, now));
  }

  /**
   * One read at a time, shared by the requests that need it meanwhile. It belongs to the request
   * that started it: if that request is cancelled (its client went away), the runtime drops its
   * I/O and the promise never settles. So a read older than its time limit is abandoned for a
   * new one, and nobody waits on one longer than that limit.
   */
  #start(env: Env, now: number): Promise<void> {
    if (!this.#syncing || now - this.#syncStartedAt > SYNC_TIMEOUT_MS) {
      const sync = this.#sync(env).finally(() => {
        if (this.#syncing === sync) this.#syncing = undefined;
      });
      this.#syncing = sync;
      this.#syncStartedAt = now;
    }
    return this.#syncing;
  }

  async #sync(env: Env): Promise<void> {
    // Taken before the read: the answer reflects every purge published before it, so the copy
    // is trustworthy for syncMs from here, never from when the answer came back.
    const askedAt = Date.now();
    try {
      // Absent (a new deployment, or KV has not shown the first write here yet): the
      // coordinator publishes what it holds and answers it, once.
      const published =
        (await env.CACHE.get<PurgeState>(PURGE_STATE_KEY, 'json')) ?? (this.#state ? null : await coordinatorOf(env).publishedState());
      this.#state = published ?? this.#state;
      this.#stateAt = askedAt;
    } catch (err) {
      // Keep serving with the copy we have; retry in a second.
      this.#stateAt = this.#state ? askedAt - this.syncMs + 1000 : 0;
      log.error('purge state read from KV failed', { error: errorMessage(err) });
    }
  }

  /**
   * Sends the counters gathered since the last report, in `waitUntil`, when the coordinator's
   * pace allows (one report at a time; the next one is due when the coordinator says).
   */
  #reportIfDue(env: Env, waitUntil: WaitUntil, now: number): void {
    if (now < this.#nextReportAt) return;
    const increments = this.counts.takeUnreported();
    if (!increments) return;
    // Until the answer comes (or the report fails), no other report starts.
    this.#nextReportAt = now + REPORT_TIMEOUT_MS;
    waitUntil(
      (async () => {
        try {
          const { nextReportInMs } = await coordinatorOf(env).report(thisIsolateId(), increments);
          this.#nextReportAt = Date.now() + nextReportInMs;
        } catch (err) {
          this.counts.giveBack(increments);
          this.#nextReportAt = Date.now() + 1000;
          log.error('cache counter report failed; kept for the next one', { error: errorMessage(err) });
        }
      })(),
    );
  }

  /**
   * Purges through the coordinator, which publishes the new state to KV, then waits until no
   * isolate can still hold the old generations: `syncMs` after the publication locally, plus
   * KV's propagation deployed (then the answer comes first and says when).
   */
  async purge(env: Env, scope: PurgeScope): Promise<PurgeResult & { effectiveAt: number }> {
    const result = await coordinatorOf(env).purge(scope);
    // This isolate knows at once; every other one re-reads within syncMs of its last read.
    this.#state = result.state;
    this.#stateAt = Date.now();
    const effectiveAt = result.publishedAt + purgePropagationMs(env) + this.syncMs + 50;
    const waitMs = effectiveAt - Date.now();
    if (waitMs > 0 && waitMs <= MAX_PURGE_WAIT_MS) await scheduler.wait(waitMs);
    return { ...result, effectiveAt: Math.max(effectiveAt, Date.now()) };
  }

  /** Forgets the copy (tests simulate a fresh isolate). */
  reset(): void {
    this.#state = undefined;
    this.#stateAt = 0;
    this.#nextReportAt = 0;
  }
}
