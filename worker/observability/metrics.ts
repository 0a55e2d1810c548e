import { heldLru, LRU_ENTRY_BYTES, NUMBER_BYTES, OTHER_BYTES, objectBytes, stringBytes } from '../isolate';
import { CATALOG, type CounterName, type HistogramName, type LabelsOf } from './catalog';
import { bucketIndex, type MetricBatch, mergePoint, type SeriesPoint, seriesKey } from './series';

/**
 * The recording API. Any module, in the worker or in a Durable Object, records with these
 * functions; nothing here does I/O. Points accumulate in this isolate's buffer, already
 * aggregated per series, until `scheduleFlush` (worker/observability/flush.ts) ships them to
 * the metrics Durable Object off the critical path.
 *
 * @example
 * ```ts
 * import { metrics } from '../observability/metrics';
 * metrics.cacheLookup('kv', 'hit');
 * metrics.rateLimitRejected('read');
 * ```
 */

/** A runaway label (say, a raw path) must not grow the buffer without end: it holds at most this many bytes. */
const MAX_LABEL_LENGTH = 120;

const pending = new Map<string, SeriesPoint>();
/** Accounted bytes of `pending` (points are merged in place, so a series costs its bytes once). */
let pendingBytes = 0;

function pointBytes(key: string, point: SeriesPoint): number {
  let labels = objectBytes(Object.keys(point.labels).length);
  for (const k in point.labels) labels += stringBytes(point.labels[k] ?? '');
  const buckets = point.buckets ? objectBytes(point.buckets.length) + point.buckets.length * NUMBER_BYTES : 0;
  return LRU_ENTRY_BYTES + stringBytes(key) + objectBytes(5) + 2 * NUMBER_BYTES + labels + buckets;
}

function cleanLabels(labels: Record<string, string>): Record<string, string> {
  for (const v of Object.values(labels)) {
    if (typeof v !== 'string' || v.length > MAX_LABEL_LENGTH) {
      const out: Record<string, string> = {};
      for (const [k, value] of Object.entries(labels)) out[k] = String(value).slice(0, MAX_LABEL_LENGTH);
      return out;
    }
  }
  return labels;
}

/**
 * Series keys by a cheap lookup key (name and label values joined): every request records the
 * same few series, and building the canonical key (quoted, in catalog order) each time was a
 * visible share of a warm request. Bounded like the buffer itself.
 */
const keyCache = heldLru<string, string>('metricKeys', (lookup, key) => LRU_ENTRY_BYTES + stringBytes(lookup) + stringBytes(key));

function add(point: SeriesPoint): void {
  let lookup = point.name;
  for (const k in point.labels) lookup += `\u0000${k}\u0001${point.labels[k]}`;
  // peek: the hot path pays no recency bookkeeping; the oldest key goes first.
  const keys = keyCache.get();
  let key = keys.peek(lookup);
  if (key === undefined) {
    key = seriesKey(point.name, point.labels);
    keys.set(lookup, key);
  }
  if (!pending.has(key)) {
    const bytes = pointBytes(key, point);
    if (pendingBytes + bytes > OTHER_BYTES.metricPoints) return;
    pendingBytes += bytes;
  }
  mergePoint(pending, point, key);
}

/** Adds `by` to a counter. */
export function increment<N extends CounterName>(name: N, labels: LabelsOf<N>, by = 1): void {
  if (!(by > 0)) return;
  add({ name, labels: cleanLabels(labels), value: by });
}

/** Records one observation (in seconds) in a histogram's fixed buckets. */
export function observe<N extends HistogramName>(name: N, labels: LabelsOf<N>, seconds: number): void {
  if (!Number.isFinite(seconds) || seconds < 0) return;
  const bounds = CATALOG[name].buckets;
  const buckets = new Array<number>(bounds.length + 1).fill(0);
  buckets[bucketIndex(bounds, seconds)] = 1;
  add({ name, labels: cleanLabels(labels), value: 1, sum: seconds, buckets });
}

/** The calls other modules make; each names the metric it feeds (see docs/operations.md). */
export const metrics = {
  /** foyer_cache_lookups_total: one lookup in a cache layer (`isolate`, `kv`); layers are consulted in that order. */
  cacheLookup(layer: string, result: 'hit' | 'miss' | 'stale'): void {
    increment('foyer_cache_lookups_total', { layer, result });
  },
  /** foyer_rate_limit_rejections_total: a request answered 429 under `policy` (worker/rate-limit/policy.ts). */
  rateLimitRejected(policy: string): void {
    increment('foyer_rate_limit_rejections_total', { policy });
  },
  /** foyer_websocket_connections_opened_total */
  websocketOpened(count = 1): void {
    increment('foyer_websocket_connections_opened_total', {}, count);
  },
  /** foyer_websocket_connections_closed_total */
  websocketClosed(count = 1): void {
    increment('foyer_websocket_connections_closed_total', {}, count);
  },
  /** foyer_websocket_messages_total: `out` = sent to clients, `in` = received from them. */
  websocketMessages(direction: 'in' | 'out', count = 1): void {
    increment('foyer_websocket_messages_total', { direction }, count);
  },
  /** foyer_intro_page_sections_total: one section of one assembled page, and whether it was served fresh. */
  sectionServed(section: string, state: 'fresh' | 'stale' | 'missing'): void {
    increment('foyer_intro_page_sections_total', { section, state });
  },
  /** foyer_d1_query_duration_seconds (+ foyer_d1_query_errors_total when it failed). */
  d1Query(kind: 'query' | 'batch', seconds: number, failed = false): void {
    observe('foyer_d1_query_duration_seconds', { kind }, seconds);
    if (failed) increment('foyer_d1_query_errors_total', { kind });
  },
};

/** True when something waits to be flushed. */
export function hasPending(): boolean {
  return pending.size > 0;
}

/** Cuts the buffer into a batch (and empties it); null when there is nothing to send. */
export function takeBatch(at = Date.now()): MetricBatch | null {
  if (pending.size === 0) return null;
  const points = [...pending.values()];
  pending.clear();
  pendingBytes = 0;
  return { at, points };
}

/** Puts an unsent batch back, so a store outage delays points instead of losing them. */
export function restoreBatch(batch: MetricBatch): void {
  for (const point of batch.points) add(point);
}
