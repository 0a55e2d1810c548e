import { type CATALOG, D1_BUCKETS, LATENCY_BUCKETS } from './catalog';
import { mergePoint, quantile, type SeriesPoint, type StoreSnapshot } from './series';

export interface LatencySummary {
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface RouteSummary extends LatencySummary {
  method: string;
  route: string;
  requests: number;
  /** 5xx answers. */
  errors: number;
  /** 4xx answers (the caller's mistake, not ours). */
  clientErrors: number;
  errorRate: number;
}

export interface MetricsSummary {
  generatedAt: string;
  /** When the totals (and Prometheus counters) started. */
  since: string;
  /** Every figure below covers the last `windowMinutes` minutes, the current one included. */
  windowMinutes: number;
  http: RouteSummary & { routes: RouteSummary[] };
  cache: { hitRate: number | null; layers: { layer: string; hits: number; misses: number; stale: number; hitRate: number | null }[] };
  rateLimit: { rejections: number };
  /** `open` is now (opened minus closed since `since`); the rest are in the window. */
  websocket: { open: number; opened: number; closed: number; messagesIn: number; messagesOut: number };
  d1: LatencySummary & { queries: number; errors: number; totalMs: number };
  /** One entry per minute of the window, oldest first: what the dashboard charts. */
  timeline: { at: string; requests: number; errors: number; p95Ms: number | null; cacheHitRate: number | null }[];
}

const ms = (seconds: number | null) => (seconds === null ? null : Math.round(seconds * 10000) / 10);
const ratio = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10000) / 10000 : null);

function latency(bounds: readonly number[], buckets: readonly number[] | undefined): LatencySummary {
  const b = buckets ?? [];
  return { p50Ms: ms(quantile(bounds, b, 0.5)), p95Ms: ms(quantile(bounds, b, 0.95)), p99Ms: ms(quantile(bounds, b, 0.99)) };
}

function sumOf(points: readonly SeriesPoint[], name: string, match: (labels: Record<string, string>) => boolean = () => true): number {
  return points.filter((p) => p.name === name && match(p.labels)).reduce((a, p) => a + p.value, 0);
}

/** Adds up series of one metric that share the given labels (e.g. per route, dropping status). */
function rollUp(points: readonly SeriesPoint[], name: string, keyLabels: readonly string[]): Map<string, SeriesPoint> {
  const out = new Map<string, SeriesPoint>();
  for (const p of points) {
    if (p.name !== name) continue;
    const labels = Object.fromEntries(keyLabels.map((l) => [l, p.labels[l] ?? '']));
    mergePoint(out, { ...p, labels }, JSON.stringify(labels));
  }
  return out;
}

/**
 * Share of lookups some cache layer answered. Layers are consulted in turn (isolate, then KV),
 * each seeing the previous one's misses, so the first layer's lookups are all lookups and the
 * last layer's misses are what went to the origin: 1 − min(misses) ÷ max(lookups). Stale
 * answers count as hits (the caller got a page without waiting). One layer: its own rate.
 */
export function cacheHitRate(points: readonly SeriesPoint[]): number | null {
  const layers = new Map<string, { lookups: number; misses: number }>();
  for (const p of points) {
    if (p.name !== 'foyer_cache_lookups_total') continue;
    const layer = layers.get(p.labels.layer ?? '') ?? { lookups: 0, misses: 0 };
    layer.lookups += p.value;
    if (p.labels.result === 'miss') layer.misses += p.value;
    layers.set(p.labels.layer ?? '', layer);
  }
  if (layers.size === 0) return null;
  const lookups = Math.max(...[...layers.values()].map((l) => l.lookups));
  const misses = Math.min(...[...layers.values()].map((l) => l.misses));
  return ratio(lookups - misses, lookups);
}

/** The JSON view of /api/v1/metrics: percentiles estimated from the fixed buckets. */
export function summarize(snapshot: StoreSnapshot): MetricsSummary {
  const windowMap = new Map<string, SeriesPoint>();
  for (const m of snapshot.minutes) for (const p of m.points) mergePoint(windowMap, p);
  const points = [...windowMap.values()];

  const counts = rollUp(points, 'foyer_http_requests_total', ['method', 'route']);
  const durations = rollUp(points, 'foyer_http_request_duration_seconds', ['method', 'route']);
  const routes: RouteSummary[] = [...counts.values()]
    .map((c) => {
      const match = (l: Record<string, string>) => l.method === c.labels.method && l.route === c.labels.route;
      const errors = sumOf(points, 'foyer_http_requests_total', (l) => match(l) && Number(l.status) >= 500);
      const clientErrors = sumOf(points, 'foyer_http_requests_total', (l) => match(l) && Number(l.status) >= 400 && Number(l.status) < 500);
      const d = durations.get(JSON.stringify({ method: c.labels.method, route: c.labels.route }));
      return {
        method: c.labels.method ?? '',
        route: c.labels.route ?? '',
        requests: c.value,
        errors,
        clientErrors,
        errorRate: ratio(errors, c.value) ?? 0,
        ...latency(LATENCY_BUCKETS, d?.buckets),
      };
    })
    .sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route));
  const allDurations = rollUp(points, 'foyer_http_request_duration_seconds', []).get('{}');
  const requests = sumOf(points, 'foyer_http_requests_total');
  const errors = routes.reduce((a, r) => a + r.errors, 0);

  const layers = [...rollUp(points, 'foyer_cache_lookups_total', ['layer']).keys()].map((key) => {
    const layer = (JSON.parse(key) as { layer: string }).layer;
    const of = (result: string) => sumOf(points, 'foyer_cache_lookups_total', (l) => l.layer === layer && l.result === result);
    const hits = of('hit');
    const misses = of('miss');
    const stale = of('stale');
    return { layer, hits, misses, stale, hitRate: ratio(hits + stale, hits + misses + stale) };
  });

  const d1 = rollUp(points, 'foyer_d1_query_duration_seconds', []).get('{}');
  const lifetime = (name: keyof typeof CATALOG) => sumOf(snapshot.totals, name);

  return {
    generatedAt: new Date(snapshot.now).toISOString(),
    since: new Date(snapshot.startedAt).toISOString(),
    windowMinutes: snapshot.minutes.length,
    http: {
      method: '*',
      route: '*',
      requests,
      errors,
      clientErrors: routes.reduce((a, r) => a + r.clientErrors, 0),
      errorRate: ratio(errors, requests) ?? 0,
      ...latency(LATENCY_BUCKETS, allDurations?.buckets),
      routes,
    },
    cache: { hitRate: cacheHitRate(points), layers },
    rateLimit: { rejections: sumOf(points, 'foyer_rate_limit_rejections_total') },
    websocket: {
      open: Math.max(0, lifetime('foyer_websocket_connections_opened_total') - lifetime('foyer_websocket_connections_closed_total')),
      opened: sumOf(points, 'foyer_websocket_connections_opened_total'),
      closed: sumOf(points, 'foyer_websocket_connections_closed_total'),
      messagesIn: sumOf(points, 'foyer_websocket_messages_total', (l) => l.direction === 'in'),
      messagesOut: sumOf(points, 'foyer_websocket_messages_total', (l) => l.direction === 'out'),
    },
    d1: {
      queries: d1?.value ?? 0,
      errors: sumOf(points, 'foyer_d1_query_errors_total'),
      totalMs: ms(d1?.sum ?? 0) ?? 0,
      ...latency(D1_BUCKETS, d1?.buckets),
    },
    timeline: snapshot.minutes.map((m) => {
      const d = rollUp(m.points, 'foyer_http_request_duration_seconds', []).get('{}');
      return {
        at: new Date(m.minute * 60_000).toISOString(),
        requests: sumOf(m.points, 'foyer_http_requests_total'),
        errors: sumOf(m.points, 'foyer_http_requests_total', (l) => Number(l.status) >= 500),
        p95Ms: ms(quantile(LATENCY_BUCKETS, d?.buckets ?? [], 0.95)),
        cacheHitRate: cacheHitRate(m.points),
      };
    }),
  };
}
