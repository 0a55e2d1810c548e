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
  ];
}

/** One row per phase, preceded by the baseline row the first time a concurrency appears. */
export function rowsWithBaselines(report: LoadReport): string[][] {
  const rows: string[][] = [];
  const seen = new Set<number>();
  for (const p of report.phases) {
    // A phase aimed at the baseline worker is its own baseline row.
    if (p.name.startsWith(BASELINE_PHASE_PREFIX)) seen.add(p.connections);
    if (p.baseline && !seen.has(p.connections)) {
      seen.add(p.connections);
      rows.push(phaseRow({ ...p, name: `baseline@${p.connections}`, stats: p.baseline, ratio: { rps: 1, p50: 1, p95: 1, p99: 1 } }));
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

/**
 * A small line chart as inline SVG. Each series is drawn against its own points; the y axis
 * starts at zero so heights compare honestly.
 */
export function svgLineChart(title: string, series: { label: string; color: string; points: [number, number][] }[], unit: string): string {
  const w = 560;
  const h = 180;
  const pad = { l: 48, r: 12, t: 22, b: 26 };
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<figure><figcaption>${escapeHtml(title)}: no data</figcaption></figure>`;
  const maxX = Math.max(1, ...all.map((p) => p[0]));
  const maxY = Math.max(1e-9, ...all.map((p) => p[1])) * 1.1;
  const x = (v: number) => pad.l + (v / maxX) * (w - pad.l - pad.r);
  const y = (v: number) => h - pad.b - (v / maxY) * (h - pad.t - pad.b);
  const paths = series
    .map((s) => {
      const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
      return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`;
    })
    .join('');
  const legend = series.map((s, i) => `<text x="${pad.l + 8 + i * 150}" y="14" fill="${s.color}">${escapeHtml(s.label)}</text>`).join('');
  return `<figure><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${escapeHtml(title)}">
<rect x="${pad.l}" y="${pad.t}" width="${w - pad.l - pad.r}" height="${h - pad.t - pad.b}" fill="none" stroke="#ccc"/>
<text x="4" y="${pad.t + 8}">${fmt(maxY)}${unit}</text><text x="4" y="${h - pad.b}">0</text>
<text x="${w - pad.r - 40}" y="${h - 6}">${fmt(maxX)} s</text>${legend}${paths}</svg>
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
    parts.push(
      svgLineChart(
        'workerd resident memory over time',
        [{ label: 'RSS MB', color: '#7a3', points: memory.map((m) => [m.t, m.rssMb]) }],
        ' MB',
      ),
    );
  }
  const steps = extra.steps as { connections: number; rps: number; p99: number }[] | undefined;
  if (Array.isArray(steps) && steps.length) {
    parts.push(
      svgLineChart(
        'stress ramp: RPS and p99 by concurrency (x = connections)',
        [
          { label: 'RPS', color: '#36c', points: steps.map((s) => [s.connections, s.rps]) },
          { label: 'p99 ms', color: '#c33', points: steps.map((s) => [s.connections, s.p99]) },
        ],
        '',
      ),
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
    .map((p) =>
      svgLineChart(
        `${p.name}: per-second RPS and p99 (baseline dashed level not drawn; see table)`,
        [
          { label: 'RPS', color: '#36c', points: p.stats.series.map((s) => [s.t, s.rps]) },
          { label: 'p99 ms', color: '#c33', points: p.stats.series.map((s) => [s.t, s.p99]) },
        ],
        '',
      ),
    )
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
