/**
 * A report as a terminal table and as one self-contained HTML page with inline SVG charts
 * (no script, no external asset, so it opens from disk and can be attached to an issue).
 */
import { BASELINE_PHASE_PREFIX, type Comparison, type LoadReport, type PhaseReport } from './report';
import { round, roundNumbers } from './stats';

const fmt = (n: number | null | undefined, unit = ''): string => (n == null || !Number.isFinite(n) ? '–' : `${round(n)}${unit}`);
const pct = (n: number | null | undefined): string => (n == null ? '–' : `${round(n * 100)}%`);
const times = (n: number | null | undefined): string => (n == null ? '–' : `×${round(n)}`);

export const TABLE_COLUMNS = [
  'phase',
  'conns',
  'req',
  'rps',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'errors',
  'non2xx',
  'hit',
  'rps/base',
  'p50/base',
  'p99/base',
  'base Δ',
];

export function phaseRow(p: PhaseReport): string[] {
  const s = p.stats;
  return [
    p.name,
    String(p.connections),
    String(s.requests),
    fmt(s.rps),
    fmt(s.latencyMs.p50),
    fmt(s.latencyMs.p95),
    fmt(s.latencyMs.p99),
    String(s.errors),
    String(s.non2xx),
    pct(s.cacheHitRate),
    times(p.ratio?.rps),
    times(p.ratio?.p50),
    times(p.ratio?.p99),
    pct(p.baselineSpread),
  ];
}

/** One row per phase, each preceded by its own baseline row (the baseline brackets every phase). */
export function rowsWithBaselines(report: LoadReport): string[][] {
  const rows: string[][] = [];
  for (const p of report.phases) {
    // A phase aimed at the baseline worker is its own baseline row.
    if (p.baseline && !p.name.startsWith(BASELINE_PHASE_PREFIX)) {
      const ones = { rps: 1, p50: 1, p95: 1, p99: 1 };
      rows.push(phaseRow({ ...p, name: `${BASELINE_PHASE_PREFIX}${p.connections}`, stats: p.baseline, ratio: ones, baselineSpread: null }));
    }
    rows.push(phaseRow(p));
  }
  return rows;
}

/** The phases and their baselines, aligned for a terminal. */
export function renderTable(report: LoadReport): string {
  const rows: string[][] = [TABLE_COLUMNS, ...rowsWithBaselines(report)];
  const widths = TABLE_COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function renderComparison(c: Comparison, tolerance: number): string {
  const lines = [`compared ${c.baselineRelative ? 'as ratios to each run’s baseline' : 'as raw figures (a report lacked a baseline)'}:`];
  if (c.regressions.length === 0) lines.push(`  no regression over ${round(tolerance * 100)}%`);
  for (const r of c.regressions)
    lines.push(`  REGRESSION ${r.phase} ${r.metric}: ${fmt(r.before)} → ${fmt(r.after)} (${pct(r.worseBy)} worse)`);
  for (const r of c.improvements) lines.push(`  improved   ${r.phase} ${r.metric}: ${fmt(r.before)} → ${fmt(r.after)}`);
  if (c.unmatched.length) lines.push(`  not in both reports: ${c.unmatched.join(', ')}`);
  return lines.join('\n');
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

interface ChartSeries {
  label: string;
  color: string;
  points: [number, number][];
}

/**
 * A small line chart as inline SVG, one unit per chart. The y axis starts at zero so heights
 * compare honestly. With `xTicks`, x values are indexes into those labels (evenly spaced steps).
 */
export function svgLineChart(title: string, series: ChartSeries[], axes: { y: string; x: string; xTicks?: string[] }): string {
  const w = 560;
  const h = 180;
  const pad = { l: 56, r: 12, t: 22, b: 30 };
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<figure><figcaption>${escapeHtml(title)}: no data</figcaption></figure>`;
  const maxX = Math.max(1, ...all.map((p) => p[0]));
  const maxY = Math.max(1e-9, ...all.map((p) => p[1])) * 1.1;
  const x = (v: number) => pad.l + (v / maxX) * (w - pad.l - pad.r);
  const y = (v: number) => h - pad.b - (v / maxY) * (h - pad.t - pad.b);
  const paths = series
    .map((s) => {
      const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
      const dots =
        s.points.length <= 20
          ? s.points.map((p) => `<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="2.5" fill="${s.color}"/>`).join('')
          : '';
      return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>${dots}`;
    })
    .join('');
  const legend = series.map((s, i) => `<text x="${pad.l + 8 + i * 150}" y="14" fill="${s.color}">${escapeHtml(s.label)}</text>`).join('');
  const xAxis = axes.xTicks
    ? axes.xTicks.map((t, i) => `<text x="${x(i).toFixed(1)}" y="${h - 14}" text-anchor="middle">${escapeHtml(t)}</text>`).join('')
    : `<text x="${pad.l}" y="${h - 14}">0</text><text x="${w - pad.r}" y="${h - 14}" text-anchor="end">${fmt(maxX)}</text>`;
  return `<figure><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${escapeHtml(title)}">
<rect x="${pad.l}" y="${pad.t}" width="${w - pad.l - pad.r}" height="${h - pad.t - pad.b}" fill="none" stroke="#ccc"/>
<text x="${pad.l - 4}" y="${pad.t + 8}" text-anchor="end">${fmt(maxY)}</text><text x="${pad.l - 4}" y="${h - pad.b}" text-anchor="end">0</text>
<text x="4" y="${pad.t + 22}">${escapeHtml(axes.y)}</text>${xAxis}<text x="${(w + pad.l) / 2}" y="${h - 2}" text-anchor="middle">${escapeHtml(axes.x)}</text>${legend}${paths}</svg>
<figcaption>${escapeHtml(title)}</figcaption></figure>`;
}

/** Horizontal bars: one per phase, its value relative to the largest. */
export function svgBars(title: string, bars: { label: string; value: number; color: string }[], unit: string): string {
  const w = 560;
  const row = 22;
  const h = bars.length * row + 8;
  const max = Math.max(1e-9, ...bars.map((b) => b.value));
  const body = bars
    .map((b, i) => {
      const len = (b.value / max) * (w - 240);
      return `<text x="4" y="${i * row + 16}">${escapeHtml(b.label)}</text><rect x="160" y="${i * row + 4}" width="${len.toFixed(1)}" height="${row - 8}" fill="${b.color}"/><text x="${(166 + len).toFixed(1)}" y="${i * row + 16}">${fmt(b.value)}${unit}</text>`;
    })
    .join('');
  return `<figure><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${escapeHtml(title)}">${body}</svg><figcaption>${escapeHtml(title)}</figcaption></figure>`;
}

function extraCharts(extra: Record<string, unknown>): string {
  const parts: string[] = [];
  const memory = extra.memory as { t: number; rssMb: number }[] | undefined;
  if (Array.isArray(memory) && memory.length) {
    const points = memory.map((m): [number, number] => [m.t, m.rssMb]);
    parts.push(
      svgLineChart('workerd resident memory (RSS) over the run', [{ label: 'RSS', color: '#7a3', points }], { y: 'MB', x: 'seconds' }),
    );
  }
  const steps = extra.steps as { connections: number; rps: number; p99: number }[] | undefined;
  if (Array.isArray(steps) && steps.length) {
    const xTicks = steps.map((s) => String(s.connections));
    const rps = steps.map((s, i): [number, number] => [i, s.rps]);
    const p99 = steps.map((s, i): [number, number] => [i, s.p99]);
    parts.push(
      svgLineChart('stress ramp: throughput by concurrency', [{ label: 'RPS', color: '#36c', points: rps }], {
        y: 'RPS',
        x: 'connections',
        xTicks,
      }),
    );
    parts.push(
      svgLineChart('stress ramp: p99 latency by concurrency', [{ label: 'p99', color: '#c33', points: p99 }], {
        y: 'ms',
        x: 'connections',
        xTicks,
      }),
    );
  }
  return parts.join('\n');
}

export function renderHtml(report: LoadReport, comparison?: { text: string }): string {
  const tableRows = rowsWithBaselines(report);
  const table = `<table><thead><tr>${TABLE_COLUMNS.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${tableRows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const timeline = report.phases
    .filter((p) => p.stats.series.length > 1)
    .map((p) => {
      const rps = p.stats.series.map((s): [number, number] => [s.t, s.rps]);
      const p99 = p.stats.series.map((s): [number, number] => [s.t, s.p99]);
      return (
        svgLineChart(`${p.name}: responses per second`, [{ label: 'RPS', color: '#36c', points: rps }], { y: 'RPS', x: 'seconds' }) +
        svgLineChart(`${p.name}: p99 latency per second`, [{ label: 'p99', color: '#c33', points: p99 }], { y: 'ms', x: 'seconds' })
      );
    })
    .join('\n');
  const ratioBars = report.phases.some((p) => p.ratio)
    ? svgBars(
        'RPS as a share of the hello-world baseline at the same concurrency',
        report.phases.filter((p) => p.ratio).map((p) => ({ label: p.name, value: p.ratio!.rps, color: '#36c' })),
        '×',
      )
    : '';
  const extraJson = Object.keys(report.extra).length
    ? `<h2>Scenario figures</h2><pre>${escapeHtml(JSON.stringify(report.extra, roundNumbers, 2))}</pre>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Foyer load report: ${escapeHtml(report.scenario)} ${escapeHtml(report.startedAt)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;max-width:1100px;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
svg text{font:11px sans-serif}figure{margin:1rem 0}pre{background:#f6f6f6;padding:.5rem;overflow:auto}</style></head>
<body><h1>Load report: ${escapeHtml(report.scenario)}</h1>
<p>${escapeHtml(report.description)}</p>
<p>${escapeHtml(report.startedAt)} → ${escapeHtml(report.finishedAt)} · target ${escapeHtml(report.target.kind)} ${escapeHtml(report.target.url)} · ${escapeHtml(report.target.runtime)} · ${report.machine.cpus} CPUs, load ${report.machine.loadAvg.map((n) => round(n)).join(' ')} · commit ${escapeHtml(report.machine.commit ?? 'unknown')}</p>
${table}
${comparison ? `<h2>Compared with an earlier report</h2><pre>${escapeHtml(comparison.text)}</pre>` : ''}
${report.notes.length ? `<h2>Notes</h2><ul>${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
<h2>Charts</h2>
${ratioBars}
${extraCharts(report.extra)}
${timeline}
${extraJson}
</body></html>
`;
}
