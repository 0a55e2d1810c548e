/**
 * Lookup counters, kept per isolate and added up in the CacheCoordinator object, which every
 * isolate reports its increments to when it syncs (about once a second while it serves).
 */
export interface CacheCounters {
  isolate: { hit: number; stale: number; miss: number };
  kv: { hit: number; stale: number; miss: number };
  /** Fragments computed from D1, and those whose source failed or ran over the time budget. */
  d1: { computes: number; failures: number; timeouts: number };
  /** Requests that joined a computation already under way instead of starting their own. */
  coalesced: number;
  /** Sections served from a last good copy or as null because their source failed. */
  degraded: number;
}

export function emptyCounters(): CacheCounters {
  return {
    isolate: { hit: 0, stale: 0, miss: 0 },
    kv: { hit: 0, stale: 0, miss: 0 },
    d1: { computes: 0, failures: 0, timeouts: 0 },
    coalesced: 0,
    degraded: 0,
  };
}

export function addCounters(into: CacheCounters, delta: CacheCounters): void {
  for (const layer of ['isolate', 'kv'] as const) {
    for (const k of ['hit', 'stale', 'miss'] as const) into[layer][k] += delta[layer][k];
  }
  for (const k of ['computes', 'failures', 'timeouts'] as const) into.d1[k] += delta.d1[k];
  into.coalesced += delta.coalesced;
  into.degraded += delta.degraded;
}

export function isEmpty(c: CacheCounters): boolean {
  return (
    c.coalesced + c.degraded + c.d1.computes + c.d1.failures + c.d1.timeouts === 0 &&
    (['isolate', 'kv'] as const).every((l) => c[l].hit + c[l].stale + c[l].miss === 0)
  );
}

/** Hit rate per layer (stale answers count as hits: the caller got a page without waiting). */
export function hitRates(c: CacheCounters) {
  const rate = (hit: number, stale: number, miss: number) => {
    const total = hit + stale + miss;
    return total === 0 ? null : Math.round(((hit + stale) / total) * 10000) / 10000;
  };
  const isolate = rate(c.isolate.hit, c.isolate.stale, c.isolate.miss);
  const kv = rate(c.kv.hit, c.kv.stale, c.kv.miss);
  // Overall: a lookup hits if some layer answered it; only D1 computations are misses.
  const lookups = c.isolate.hit + c.isolate.stale + c.isolate.miss;
  const overall = lookups === 0 ? null : Math.round((1 - Math.min(c.kv.miss, lookups) / lookups) * 10000) / 10000;
  return { isolate, kv, overall };
}
