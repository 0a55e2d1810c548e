import type { EventFigures } from '../events/figures';
import type { HealthReport } from '../services/dependency-checks';
import { CATALOG, DERIVED_GAUGES, DERIVED_SUMMARIES, type MetricDefinition } from './catalog';
import type { SeriesPoint } from './series';

/** The Prometheus text exposition format, version 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function labelSet(pairs: [string, string][]): string {
  return pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function num(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/**
 * Renders cumulative totals (counters since the store started) as the text format that
 * `promtool check metrics` accepts: HELP and TYPE per family, histograms as cumulative
 * `_bucket` lines ending in `le="+Inf"`, then `_sum` and `_count`.
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 */
export function renderPrometheus(
  totals: readonly SeriesPoint[],
  health?: HealthReport,
  events?: EventFigures,
  environment = 'local',
): string {
  const byName = new Map<string, SeriesPoint[]>();
  for (const point of totals) {
    const list = byName.get(point.name) ?? [];
    list.push(point);
    byName.set(point.name, list);
  }
  const lines: string[] = [];
  for (const [name, def] of Object.entries(CATALOG) as [string, MetricDefinition][]) {
    lines.push(`# HELP ${name} ${escapeHelp(def.help)}`, `# TYPE ${name} ${def.type}`);
    const series = (byName.get(name) ?? []).sort((a, b) => labelSet(pairsOf(def, a)).localeCompare(labelSet(pairsOf(def, b))));
    for (const point of series) {
      const pairs = pairsOf(def, point);
      if (def.type === 'counter') {
        lines.push(`${name}${labelSet(pairs)} ${num(point.value)}`);
        continue;
      }
      const bounds = def.buckets ?? [];
      let cumulative = 0;
      for (let i = 0; i < bounds.length; i++) {
        cumulative += point.buckets?.[i] ?? 0;
        lines.push(`${name}_bucket${labelSet([...pairs, ['le', num(bounds[i] as number)]])} ${num(cumulative)}`);
      }
      lines.push(`${name}_bucket${labelSet([...pairs, ['le', '+Inf']])} ${num(point.value)}`);
      lines.push(`${name}_sum${labelSet(pairs)} ${num(point.sum ?? 0)}`);
      lines.push(`${name}_count${labelSet(pairs)} ${num(point.value)}`);
    }
  }
  const value = (name: string) => byName.get(name)?.reduce((a, p) => a + p.value, 0) ?? 0;
  const open = Math.max(0, value('foyer_websocket_connections_opened_total') - value('foyer_websocket_connections_closed_total'));
  lines.push(
    `# HELP foyer_websocket_connections ${escapeHelp(DERIVED_GAUGES.foyer_websocket_connections.help)}`,
    '# TYPE foyer_websocket_connections gauge',
    `foyer_websocket_connections ${num(open)}`,
  );
  if (health) lines.push(...healthLines(health, environment));
  if (events) lines.push(...eventLines(events));
  return `${lines.join('\n')}\n`;
}

const OVERALL_STATUSES = ['ok', 'degraded', 'down'] as const;
const CHECK_STATUSES = ['ok', 'slow', 'down'] as const;

/** One series per possible status (1 = current) so an alert can match `{status="degraded"} == 1`. */
function healthLines(health: HealthReport, environment: string): string[] {
  const gauge = (name: keyof typeof DERIVED_GAUGES) => [`# HELP ${name} ${escapeHelp(DERIVED_GAUGES[name].help)}`, `# TYPE ${name} gauge`];
  const checks = Object.entries(health.checks);
  return [
    ...gauge('foyer_health_status'),
    ...OVERALL_STATUSES.map((s) => `foyer_health_status${labelSet([['status', s]])} ${health.status === s ? 1 : 0}`),
    ...gauge('foyer_health_check_status'),
    ...checks.flatMap(([check, result]) =>
      CHECK_STATUSES.map(
        (s) =>
          `foyer_health_check_status${labelSet([
            ['check', check],
            ['status', s],
          ])} ${result.status === s ? 1 : 0}`,
      ),
    ),
    ...gauge('foyer_health_check_latency_seconds'),
    ...checks.map(([check, result]) => `foyer_health_check_latency_seconds${labelSet([['check', check]])} ${num(result.latencyMs / 1000)}`),
    // No known backup is as stale as it gets; the label lets one rule hold each environment to its bound.
    ...gauge('foyer_backup_age_seconds'),
    `foyer_backup_age_seconds${labelSet([['environment', environment]])} ${num(health.backup.ageSeconds ?? Number.POSITIVE_INFINITY)}`,
  ];
}

const EVENT_STAGES = { published: 'published', delivered: 'delivered', retried: 'retried', deadLettered: 'dead_lettered' } as const;

/** The domain event figures (worker/events/figures.ts): windowed counts as gauges (not counters), the lag as a summary. */
function eventLines(events: EventFigures): string[] {
  const gauge = (name: keyof typeof DERIVED_GAUGES) => [`# HELP ${name} ${escapeHelp(DERIVED_GAUGES[name].help)}`, `# TYPE ${name} gauge`];
  const types = Object.entries(events.byType).sort(([a], [b]) => a.localeCompare(b));
  return [
    ...gauge('foyer_events'),
    ...types.flatMap(([type, counts]) =>
      (Object.entries(EVENT_STAGES) as [keyof typeof EVENT_STAGES, string][]).map(
        ([key, stage]) =>
          `foyer_events${labelSet([
            ['type', type],
            ['stage', stage],
          ])} ${num(counts[key])}`,
      ),
    ),
    ...gauge('foyer_events_outbox_backlog'),
    `foyer_events_outbox_backlog ${num(events.outbox.backlog)}`,
    ...gauge('foyer_events_outbox_oldest_unsent_seconds'),
    `foyer_events_outbox_oldest_unsent_seconds ${num((events.outbox.oldestUnsentAgeMs ?? 0) / 1000)}`,
    ...gauge('foyer_events_dead_letters_pending'),
    `foyer_events_dead_letters_pending ${num(events.deadLettersPending)}`,
    ...lagSummary(events.lagMs),
  ];
}

/**
 * A summary, not a histogram: the quantiles are computed in D1 from a sample (the newest
 * LAG_SAMPLE applied events of the window), so there are no buckets to add up across scrapes
 * or instances. `_sum` and `_count` describe that same sample; they fall as old events leave
 * it, so they are read as a mean (`_sum / _count`), never through `rate()`.
 */
function lagSummary(lag: EventFigures['lagMs']): string[] {
  const name = 'foyer_events_lag_seconds';
  // NaN before any event was applied, as client libraries do: the series exists, so a rule naming it is never silently empty.
  const quantile = (q: string, ms: number | null) => `${name}${labelSet([['quantile', q]])} ${num(ms === null ? Number.NaN : ms / 1000)}`;
  return [
    `# HELP ${name} ${escapeHelp(DERIVED_SUMMARIES[name].help)}`,
    `# TYPE ${name} summary`,
    quantile('0.5', lag.p50),
    quantile('0.95', lag.p95),
    `${name}_sum ${num(lag.sum / 1000)}`,
    `${name}_count ${num(lag.samples)}`,
  ];
}

function pairsOf(def: MetricDefinition, point: SeriesPoint): [string, string][] {
  return def.labels.map((l) => [l, point.labels[l] ?? '']);
}
