import { metrics } from '../observability/metrics';
import { addCounters, type CacheCounters, emptyCounters, isEmpty } from './counters';

/**
 * This isolate's cache counters: the totals since it started, and the increments not yet
 * reported to the coordinator (they travel with the next purge-state sync, see purge-sync.ts).
 */
export class LookupCounts {
  #pending: CacheCounters = emptyCounters();
  readonly totals: CacheCounters = emptyCounters();

  /** Counted here but not yet reported to the coordinator. */
  get unreported(): CacheCounters {
    return structuredClone(this.#pending);
  }

  /** One lookup in a layer: counted here (for /admin/cache) and in the worker's metrics (for /metrics). */
  lookup(layer: 'isolate' | 'kv', result: 'hit' | 'stale' | 'miss'): void {
    this.count((c) => c[layer][result]++);
    metrics.cacheLookup(layer, result);
  }

  count(f: (c: CacheCounters) => void): void {
    f(this.#pending);
    f(this.totals);
  }

  /** Hands the unreported increments to a sync (null: nothing to report). */
  takeUnreported(): CacheCounters | null {
    if (isEmpty(this.#pending)) return null;
    const taken = this.#pending;
    this.#pending = emptyCounters();
    return taken;
  }

  /** A sync failed: its increments go back to be reported with the next one. */
  giveBack(increments: CacheCounters): void {
    addCounters(this.#pending, increments);
  }
}
