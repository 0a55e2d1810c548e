import type { CacheCounters } from './counters';
import type { PurgeState } from './purge-state';

/**
 * The wire contract between worker isolates and the CacheCoordinator object
 * (durable-objects/cache-coordinator.ts). Both sides import it from here, so the worker never
 * reaches back into durable-objects/ for a type.
 */

export interface PurgeResult {
  seq: number;
  covers: string;
  state: PurgeState;
  /** When the state that includes this purge was written to KV (PURGE_STATE_KEY). */
  publishedAt: number;
}

/** The coordinator's answer to an isolate's counter report: how long to wait before the next (fan-in.ts). */
export interface ReportResult {
  nextReportInMs: number;
}

export interface CoordinatorStats {
  state: PurgeState;
  counters: CacheCounters;
  countersSince: number;
  /** Isolates that reported counters within the pacer's window. */
  reporters: number;
}

/**
 * The KV key under which the coordinator publishes the whole purge state after every purge,
 * and which every isolate reads (about once a second) instead of calling the object: a KV read
 * is served from the reader's own location, so no single object carries the isolates' syncs.
 */
export const PURGE_STATE_KEY = 'purge:state';

/**
 * How long after the coordinator writes PURGE_STATE_KEY every isolate in the world can read it.
 * KV: "changes may take up to 60 seconds or more to be visible in other locations"
 * (https://developers.cloudflare.com/kv/concepts/how-kv-works/), which is the default cacheTtl
 * of a read. The local runtime has one store and one location, so there it is 0.
 */
export function purgePropagationMs(env: Pick<Env, 'ENVIRONMENT'>): number {
  return env.ENVIRONMENT === 'local' ? 0 : 60_000;
}

/** The coordinator (`idFromName('global')`): it takes purges (rare, admin only) and counter reports (paced). */
export function coordinatorOf(env: Pick<Env, 'CACHE_COORDINATOR'>) {
  return env.CACHE_COORDINATOR.get(env.CACHE_COORDINATOR.idFromName('global'));
}
