import type { CacheCounters } from './counters';
import type { PurgeState } from './purge-state';

/**
 * The wire contract between worker isolates and the CacheCoordinator object
 * (durable-objects/cache-coordinator.ts). Both sides import it from here, so the worker never
 * reaches back into durable-objects/ for a type.
 */

/** An isolate's sync: what it must learn since `sinceSeq`, with its counter increments. */
export interface SyncResult {
  state: PurgeState;
  /** true: `state` is the whole state; false: only what changed after the caller's `sinceSeq`. */
  full: boolean;
}

export interface PurgeResult {
  seq: number;
  covers: string;
  state: PurgeState;
}

export interface CoordinatorStats {
  state: PurgeState;
  counters: CacheCounters;
  countersSince: number;
}

/** The one coordinator (`idFromName('global')`): one strongly consistent place for purge generations. */
export function coordinatorOf(env: Env) {
  return env.CACHE_COORDINATOR.get(env.CACHE_COORDINATOR.idFromName('global'));
}
