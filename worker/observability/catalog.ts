/**
 * Every metric Foyer records, in one place: the recording API is typed from it, the metrics
 * Durable Object aggregates by it, and the Prometheus exposition takes HELP/TYPE from it.
 * docs/operations.md lists the same names; add a metric here first, then document it.
 *
 * Histograms use fixed buckets so that any number of isolates can add their counts together
 * (https://prometheus.io/docs/practices/histograms/). Durations are in seconds, the
 * Prometheus base unit.
 */

/** Request latency buckets, s. 0.2 is a bound on purpose: the p95 alert threshold (docs/operations.md). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10] as const;
/** D1 round-trip buckets, s. */
export const D1_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

export const CATALOG = {
  foyer_http_requests_total: {
    type: 'counter',
    help: 'HTTP requests answered, by method, route template and status code.',
    labels: ['method', 'route', 'status'],
  },
  foyer_http_request_duration_seconds: {
    type: 'histogram',
    help: 'Time from request to response headers, by method and route template.',
    labels: ['method', 'route'],
    buckets: LATENCY_BUCKETS,
  },
  foyer_cache_lookups_total: {
    type: 'counter',
    help: 'Cache lookups by layer (isolate, then kv) and result (hit, stale, miss).',
    labels: ['layer', 'result'],
  },
  foyer_rate_limit_rejections_total: {
    type: 'counter',
    help: 'Requests answered 429 by the rate limiter, by policy class (read, write, admin, feed, health).',
    labels: ['policy'],
  },
  foyer_websocket_connections_opened_total: {
    type: 'counter',
    help: 'Live feed WebSocket connections accepted.',
    labels: [],
  },
  foyer_websocket_connections_closed_total: {
    type: 'counter',
    help: 'Live feed WebSocket connections closed (by either side).',
    labels: [],
  },
  foyer_websocket_messages_total: {
    type: 'counter',
    help: 'Live feed WebSocket messages, by direction (in = from clients, out = to clients).',
    labels: ['direction'],
  },
  foyer_intro_page_sections_total: {
    type: 'counter',
    help: 'Sections of assembled intro pages (JSON and HTML), by section and state (fresh; stale = last good copy; missing = null).',
    labels: ['section', 'state'],
  },
  foyer_d1_query_duration_seconds: {
    type: 'histogram',
    help: 'D1 round trips from the worker, by kind (query = one statement, batch = one db.batch).',
    labels: ['kind'],
    buckets: D1_BUCKETS,
  },
  foyer_d1_query_errors_total: {
    type: 'counter',
    help: 'D1 round trips that failed, by kind.',
    labels: ['kind'],
  },
} as const satisfies Record<string, MetricDefinition>;

export interface MetricDefinition {
  type: 'counter' | 'histogram';
  help: string;
  labels: readonly string[];
  buckets?: readonly number[];
}

/**
 * Derived at read time, never recorded: open connections are opened minus closed, summed
 * over every feed object and isolate (a gauge cannot be added up across isolates); health is
 * checked when Prometheus scrapes, the way an exporter's `up` is, so an alert can read it
 * without a separate prober.
 */
export const DERIVED_GAUGES = {
  foyer_websocket_connections: {
    help: 'Live feed WebSocket connections open now (opened minus closed since the store started).',
  },
  foyer_health_status: {
    help: 'Overall health at scrape time, as GET /api/v1/health reports it: 1 for the current status (ok, degraded, down), 0 for the others.',
  },
  foyer_health_check_status: {
    help: 'Each dependency check at scrape time: 1 for its current status (ok, slow, down), 0 for the others.',
  },
  foyer_health_check_latency_seconds: {
    help: 'Round-trip time of each dependency check at scrape time.',
  },
  foyer_backup_age_seconds: {
    help: 'Age of the last verified D1 backup at scrape time (the BACKUPS record); +Inf when none is recorded or it cannot be read.',
  },
  foyer_events: {
    help: 'Domain events over the last 24 h by type and stage (published, delivered, retried, dead_lettered), read from D1 at scrape time.',
  },
  foyer_events_outbox_backlog: {
    help: 'Outbox rows unsent for longer than the relay bound (30 s) at scrape time.',
  },
  foyer_events_outbox_oldest_unsent_seconds: {
    help: 'Age of the oldest outbox row no consumer has received, at scrape time; 0 when none is unsent.',
  },
  foyer_events_dead_letters_pending: {
    help: 'Dead-lettered events not replayed yet.',
  },
} as const;

/**
 * Derived at read time as a summary: quantiles computed in D1 from a sample, with `_sum` and
 * `_count` over the same sample (worker/observability/prometheus.ts says why not a histogram).
 */
export const DERIVED_SUMMARIES = {
  foyer_events_lag_seconds: {
    help: 'Lag from an event commit to a consumer applying it, over the newest 1000 applied events of the last 24 h: quantiles 0.5 and 0.95; _sum and _count cover the same sample (not counters: divide them for the mean, do not rate() them).',
  },
} as const;

export type MetricName = keyof typeof CATALOG;
export type CounterName = { [N in MetricName]: (typeof CATALOG)[N]['type'] extends 'counter' ? N : never }[MetricName];
export type HistogramName = { [N in MetricName]: (typeof CATALOG)[N]['type'] extends 'histogram' ? N : never }[MetricName];
export type LabelsOf<N extends MetricName> = { [L in (typeof CATALOG)[N]['labels'][number]]: string };

export function definition(name: string): MetricDefinition | undefined {
  return (CATALOG as Record<string, MetricDefinition>)[name];
}
