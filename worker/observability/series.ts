import { definition } from './catalog';

/**
 * One series of one metric: a counter's total, or a histogram's count, sum and per-bucket
 * counts. The same shape travels from isolates to the metrics Durable Object (as deltas),
 * is stored there (as totals) and is read back by /api/v1/metrics.
 */
export interface SeriesPoint {
  name: string;
  labels: Record<string, string>;
  /** Counter: the increment or total. Histogram: the number of observations. */
  value: number;
  /** Histogram only: the sum of the observations. */
  sum?: number;
  /** Histogram only: count per bucket (not cumulative); one more than the bounds, the last is +Inf. */
  buckets?: number[];
}

/** What an isolate sends the metrics object in one RPC: deltas since its previous batch. */
export interface MetricBatch {
  /** When the batch was cut (ms since epoch); the store files it under that minute. */
  at: number;
  points: SeriesPoint[];
}

/** What the metrics Durable Object answers: totals since it started, and recent minutes. */
export interface StoreSnapshot {
  /** When the totals started (the counters' reset point, ms since epoch). */
  startedAt: number;
  now: number;
  /** Every series since `startedAt`: what Prometheus scrapes. */
  totals: SeriesPoint[];
  /** The last N minutes (the current one included), oldest first. */
  minutes: { minute: number; points: SeriesPoint[] }[];
}

/** `name{a="x",b="y"}` with labels in catalog order: the identity of a series. */
export function seriesKey(name: string, labels: Record<string, string>): string {
  const order = definition(name)?.labels ?? Object.keys(labels).sort();
  return `${name}{${order.map((l) => `${l}=${JSON.stringify(labels[l] ?? '')}`).join(',')}}`;
}

/** Adds `point` to the series of the same key in `into` (creating it). */
export function mergePoint(into: Map<string, SeriesPoint>, point: SeriesPoint, key = seriesKey(point.name, point.labels)): SeriesPoint {
  const current = into.get(key);
  if (!current) {
    const copy: SeriesPoint = { name: point.name, labels: { ...point.labels }, value: point.value };
    if (point.buckets) {
      copy.sum = point.sum ?? 0;
      copy.buckets = [...point.buckets];
    }
    into.set(key, copy);
    return copy;
  }
  current.value += point.value;
  if (point.buckets) {
    current.sum = (current.sum ?? 0) + (point.sum ?? 0);
    const buckets = current.buckets ?? new Array<number>(point.buckets.length).fill(0);
    for (let i = 0; i < point.buckets.length; i++) buckets[i] = (buckets[i] ?? 0) + (point.buckets[i] ?? 0);
    current.buckets = buckets;
  }
  return current;
}

/** Index of the first bucket whose upper bound holds `value` (bounds.length = +Inf). */
export function bucketIndex(bounds: readonly number[], value: number): number {
  for (let i = 0; i < bounds.length; i++) if (value <= (bounds[i] as number)) return i;
  return bounds.length;
}

/**
 * Estimates a quantile from bucket counts the way Prometheus' histogram_quantile does:
 * linear interpolation inside the bucket that holds the rank; a rank in +Inf answers the
 * highest finite bound. Null when there are no observations.
 */
export function quantile(bounds: readonly number[], buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i] ?? 0;
    if (count > 0 && seen + count >= rank) {
      if (i >= bounds.length) return bounds[bounds.length - 1] ?? null;
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      const upper = bounds[i] as number;
      return lower + (upper - lower) * ((rank - seen) / count);
    }
    seen += count;
  }
  return bounds[bounds.length - 1] ?? null;
}

/**
 * One snapshot from the snapshots of several metrics shards (worker/observability/flush.ts):
 * every series added up across them, the earliest start, the latest clock.
 */
export function mergeSnapshots(snapshots: StoreSnapshot[]): StoreSnapshot {
  const totals = new Map<string, SeriesPoint>();
  const minutes = new Map<number, Map<string, SeriesPoint>>();
  for (const snapshot of snapshots) {
    for (const point of snapshot.totals) mergePoint(totals, point);
    for (const { minute, points } of snapshot.minutes) {
      const into = minutes.get(minute) ?? new Map<string, SeriesPoint>();
      minutes.set(minute, into);
      for (const point of points) mergePoint(into, point);
    }
  }
  return {
    startedAt: Math.min(...snapshots.map((s) => s.startedAt)),
    now: Math.max(...snapshots.map((s) => s.now)),
    totals: [...totals.values()],
    minutes: [...minutes.entries()].sort(([a], [b]) => a - b).map(([minute, points]) => ({ minute, points: [...points.values()] })),
  };
}
