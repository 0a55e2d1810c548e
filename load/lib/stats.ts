/**
 * The arithmetic of a load report: percentiles, per-phase summaries and ratios to the
 * baseline. Pure (no Node APIs), so test/load/*.test.ts runs it inside workerd.
 */

/** What one HTTP load phase observed, before summarising. */
export interface RawSample {
  /** Every response's latency in milliseconds, in arrival order. */
  latenciesMs: ArrayLike<number>;
  /** Seconds since the phase started at which each response arrived (same order). */
  arrivalsSec: ArrayLike<number>;
  statusCodes: Record<string, number>;
  /** Each response's request label (same order), when the phase labelled its requests. */
  labels?: ArrayLike<string | undefined>;
  /** Connection errors and timeouts: requests that got no HTTP answer at all. */
  errors: number;
  /** The errors by code (ETIMEDOUT for autocannon's timeout, ECONNRESET...). */
  errorKinds?: Record<string, number>;
  /** Responses that carried a `Cache-Status` header, and those whose header said `hit`. */
  cacheSeen: number;
  cacheHits: number;
  /** Responses served from the isolate's own memory (`foyer-isolate; hit` in Cache-Status); absent when not counted. */
  isolateHits?: number;
  /**
   * The `coord` entry of each response's Server-Timing (ms), when it had one: how long the
   * request waited for the purge state (worker/cache/purge-sync.ts). A trace of one shared wait.
   */
  coordWaitsMs?: ArrayLike<number>;
  /** The same for the `ratelimit` entry: how long the request waited for the rate limiter (a lease). */
  rateLimitWaitsMs?: ArrayLike<number>;
  durationSec: number;
}

/** Requests that waited on the purge state (`coord` ≥ 1 ms in Server-Timing) and how long. */
export interface WaitSummary {
  /** Responses that carried a `coord` timing at all. */
  seen: number;
  /** Those that waited 1 ms or more. */
  waited: number;
  /** Percentiles over the waits of those that waited (null when none did). */
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface PhaseStats {
  requests: number;
  rps: number;
  latencyMs: LatencySummary;
  /** Requests with no HTTP answer (connection error, timeout). */
  errors: number;
  errorKinds?: Record<string, number>;
  /** Answers outside 2xx/3xx (a 304 is a success for a cached page). */
  non2xx: number;
  /** (errors + non2xx) / (requests + errors); 0 when nothing was sent. */
  errorRate: number;
  statusCodes: Record<string, number>;
  /** Share of `Cache-Status` answers that were hits; null when no response had the header. */
  cacheHitRate: number | null;
  cacheSeen: number;
  /** One point per whole second of the phase, for the charts. */
  series: { t: number; rps: number; p99: number }[];
  /** Per request label (e.g. read / write), when the phase labelled its requests. */
  byLabel?: Record<string, { requests: number; latencyMs: LatencySummary }>;
  /** Waits on the purge state, from Server-Timing `coord` (Foyer's phases only). */
  coordWait?: WaitSummary;
  /** Waits on the rate limiter, from Server-Timing `ratelimit`. */
  rateLimitWait?: WaitSummary;
}

/** How a phase compares with the hello-world baseline at the same concurrency. */
export interface BaselineRatio {
  /** Phase RPS / baseline RPS: the share of the runtime's bare throughput that is left. */
  rps: number;
  /** Phase latency / baseline latency: how many times slower than a hello world. */
  p50: number;
  p95: number;
  p99: number;
}

/**
 * Nearest-rank percentile (the smallest value with at least p% of values at or below it).
 * `sorted` must be ascending; an empty input gives 0.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Percentiles, max and mean of unsorted latencies. */
export function summarizeLatencies(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : 0,
    mean: sorted.length ? sum / sorted.length : 0,
  };
}

/** RFC 9211: `Cache-Status: <cache>; hit` or `<cache>; fwd=miss`, possibly several caches comma-separated. */
/** True when Foyer's in-isolate layer answered (RFC 9211 entry `foyer-isolate; hit`). */
export function isIsolateHit(header: string): boolean {
  return header.split(',').some((entry) => {
    const [name, ...params] = entry.split(';').map((p) => p.trim().toLowerCase());
    return name === 'foyer-isolate' && params.includes('hit');
  });
}

export function isCacheHit(header: string): boolean {
  return header.split(',').some((entry) =>
    entry
      .split(';')
      .slice(1)
      .some((param) => param.trim().toLowerCase() === 'hit'),
  );
}

export const isSuccess = (status: number): boolean => status >= 200 && status < 400;

export function summarize(raw: RawSample): PhaseStats {
  const requests = raw.latenciesMs.length;
  let non2xx = 0;
  for (const [code, count] of Object.entries(raw.statusCodes)) if (!isSuccess(Number(code))) non2xx += count;
  const attempted = requests + raw.errors;
  return {
    requests,
    rps: raw.durationSec > 0 ? requests / raw.durationSec : 0,
    latencyMs: summarizeLatencies(raw.latenciesMs),
    errors: raw.errors,
    ...(raw.errors > 0 && raw.errorKinds ? { errorKinds: { ...raw.errorKinds } } : {}),
    non2xx,
    errorRate: attempted > 0 ? (raw.errors + non2xx) / attempted : 0,
    statusCodes: { ...raw.statusCodes },
    cacheHitRate: raw.cacheSeen > 0 ? raw.cacheHits / raw.cacheSeen : null,
    cacheSeen: raw.cacheSeen,
    series: perSecond(raw.latenciesMs, raw.arrivalsSec, raw.durationSec),
    ...(raw.labels ? { byLabel: byLabel(raw.latenciesMs, raw.labels) } : {}),
    ...(raw.coordWaitsMs?.length ? { coordWait: summarizeWaits(raw.coordWaitsMs) } : {}),
    ...(raw.rateLimitWaitsMs?.length ? { rateLimitWait: summarizeWaits(raw.rateLimitWaitsMs) } : {}),
  };
}

export function summarizeWaits(waitsMs: ArrayLike<number>): WaitSummary {
  const waited = Array.from(waitsMs).filter((ms) => ms >= 1);
  if (waited.length === 0) return { seen: waitsMs.length, waited: 0, p50: null, p99: null, max: null };
  const latencies = summarizeLatencies(waited);
  return { seen: waitsMs.length, waited: waited.length, p50: latencies.p50, p99: latencies.p99, max: latencies.max };
}

export function byLabel(latencies: ArrayLike<number>, labels: ArrayLike<string | undefined>) {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < latencies.length; i++) {
    const label = labels[i];
    if (label === undefined) continue;
    const group = groups.get(label);
    if (group) group.push(latencies[i]!);
    else groups.set(label, [latencies[i]!]);
  }
  return Object.fromEntries(
    [...groups].map(([label, values]) => [label, { requests: values.length, latencyMs: summarizeLatencies(values) }]),
  );
}

/** Buckets responses by the whole second they arrived in; seconds with no answer show 0 RPS. */
export function perSecond(latencies: ArrayLike<number>, arrivals: ArrayLike<number>, durationSec: number) {
  const seconds = Math.max(1, Math.ceil(durationSec));
  const buckets: number[][] = Array.from({ length: seconds }, () => []);
  for (let i = 0; i < latencies.length; i++) {
    const s = Math.min(seconds - 1, Math.max(0, Math.floor(arrivals[i]!)));
    buckets[s]!.push(latencies[i]!);
  }
  return buckets.map((b, t) => ({
    t,
    rps: b.length,
    p99: percentile(
      b.sort((x, y) => x - y),
      99,
    ),
  }));
}

/** A ratio that stays finite: a zero denominator gives null rather than Infinity. */
export function ratio(value: number, base: number): number | null {
  if (!Number.isFinite(value) || !Number.isFinite(base) || base === 0) return null;
  return value / base;
}

export function baselineRatio(phase: PhaseStats, baseline: PhaseStats): BaselineRatio | null {
  const rps = ratio(phase.rps, baseline.rps);
  const p50 = ratio(phase.latencyMs.p50, baseline.latencyMs.p50);
  const p95 = ratio(phase.latencyMs.p95, baseline.latencyMs.p95);
  const p99 = ratio(phase.latencyMs.p99, baseline.latencyMs.p99);
  if (rps === null || p50 === null || p95 === null || p99 === null) return null;
  return { rps, p50, p95, p99 };
}

/** Rounds for display and JSON: 2 decimals below 100, whole numbers above. */
export function round(n: number): number {
  if (!Number.isFinite(n)) return n;
  return Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100;
}

/** A JSON.stringify replacer that rounds every number like `round`. */
export const roundNumbers = (_key: string, value: unknown): unknown => (typeof value === 'number' ? round(value) : value);

/** Two samples of the same load as one: the second one's arrivals follow the first's. */
export function mergeSamples(a: RawSample, b: RawSample): RawSample {
  const codes: Record<string, number> = { ...a.statusCodes };
  for (const [code, n] of Object.entries(b.statusCodes)) codes[code] = (codes[code] ?? 0) + n;
  const kinds: Record<string, number> = { ...a.errorKinds };
  for (const [kind, n] of Object.entries(b.errorKinds ?? {})) kinds[kind] = (kinds[kind] ?? 0) + n;
  return {
    latenciesMs: [...Array.from(a.latenciesMs), ...Array.from(b.latenciesMs)],
    arrivalsSec: [...Array.from(a.arrivalsSec), ...Array.from(b.arrivalsSec, (t) => t + a.durationSec)],
    statusCodes: codes,
    errors: a.errors + b.errors,
    errorKinds: kinds,
    cacheSeen: a.cacheSeen + b.cacheSeen,
    cacheHits: a.cacheHits + b.cacheHits,
    ...(a.coordWaitsMs || b.coordWaitsMs
      ? { coordWaitsMs: [...Array.from(a.coordWaitsMs ?? []), ...Array.from(b.coordWaitsMs ?? [])] }
      : {}),
    ...(a.rateLimitWaitsMs || b.rateLimitWaitsMs
      ? { rateLimitWaitsMs: [...Array.from(a.rateLimitWaitsMs ?? []), ...Array.from(b.rateLimitWaitsMs ?? [])] }
      : {}),
    durationSec: a.durationSec + b.durationSec,
  };
}

/** |a − b| ÷ their mean: how far two measurements of the same thing disagree (0 = identical). */
export function relativeSpread(a: number, b: number): number | null {
  const mean = (a + b) / 2;
  return mean > 0 ? Math.abs(a - b) / mean : null;
}

/** The `dur` of one Server-Timing entry (`coord`: the purge-state wait; `ratelimit`), or null without one. */
export function serverTiming(header: string, name: 'coord' | 'ratelimit'): number | null {
  const match = new RegExp(`(?:^|,)\\s*${name};(?:[^,]*;)?\\s*dur=([\\d.]+)`).exec(header);
  return match ? Number(match[1]) : null;
}

/** The purge-state wait of one response. */
export const coordTiming = (header: string): number | null => serverTiming(header, 'coord');
