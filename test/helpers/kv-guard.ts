export interface KvTrace {
  /** Round trips: each get (bulk or single), getWithMetadata, list, put or delete counts once. */
  roundTrips: number;
  reads: number;
  /** Every put: key and when (epoch ms). */
  puts: { key: string; at: number }[];
}

/** Wraps a real KV binding: everything still runs against KV, and each round trip is counted. */
export function guardKv(kv: KVNamespace): { kv: KVNamespace; trace: KvTrace } {
  const trace: KvTrace = { roundTrips: 0, reads: 0, puts: [] };
  const guarded = new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        trace.roundTrips++;
        if (prop === 'get' || prop === 'getWithMetadata') trace.reads++;
        if (prop === 'put') trace.puts.push({ key: String(args[0]), at: Date.now() });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { kv: guarded, trace };
}

/** The largest number of puts any single key received within one second. */
export function maxPutsPerKeyPerSecond(trace: KvTrace): number {
  const byKey = new Map<string, number[]>();
  for (const p of trace.puts) byKey.set(p.key, [...(byKey.get(p.key) ?? []), p.at]);
  let max = 0;
  for (const times of byKey.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0, j = 0; j < times.length; j++) {
      while ((times[j] as number) - (times[i] as number) >= 1000) i++;
      max = Math.max(max, j - i + 1);
    }
  }
  return max;
}
