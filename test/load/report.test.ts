import { describe, expect, it } from 'vitest';
import { renderComparison, renderHtml, renderTable } from '../../load/lib/render';
import { compareReports, type LoadReport, parseReport, phaseReport, REPORT_VERSION } from '../../load/lib/report';
import { type PhaseStats, summarize } from '../../load/lib/stats';

const empty = summarize({ latenciesMs: [], arrivalsSec: [], statusCodes: {}, errors: 0, cacheSeen: 0, cacheHits: 0, durationSec: 1 });
const stats = (rps: number, p99: number, extra: Partial<PhaseStats> = {}): PhaseStats => ({
  ...empty,
  requests: rps * 10,
  rps,
  latencyMs: { p50: p99 / 4, p95: p99 / 2, p99, max: p99, mean: p99 / 4 },
  series: [
    { t: 0, rps, p99 },
    { t: 1, rps, p99 },
  ],
  ...extra,
});

function report(phases: LoadReport['phases'], extra: Record<string, unknown> = {}): LoadReport {
  return {
    version: REPORT_VERSION,
    scenario: 'normal',
    description: 'test <script>',
    startedAt: '2026-11-22T02:00:00.000Z',
    finishedAt: '2026-11-22T02:01:00.000Z',
    target: { kind: 'miniflare', url: 'http://127.0.0.1:8770', runtime: 'workerd', seedUsers: 1000, vars: {} },
    machine: { cpus: 2, loadAvg: [1, 1, 1], node: 'v20', platform: 'linux-x64', commit: 'abc1234' },
    phases,
    extra,
    notes: ['shared machine'],
  };
}

const base = stats(1000, 10);

describe('compareReports', () => {
  it('flags a figure more than 10% worse, relative to each run’s own baseline', () => {
    const before = report([phaseReport('intro', 50, 10, stats(200, 40), base)]);
    // Twice as busy a machine: raw figures halve, but the ratio to the same-run baseline holds.
    const busier = report([phaseReport('intro', 50, 10, stats(100, 80), stats(500, 20))]);
    expect(compareReports(before, busier).regressions).toEqual([]);

    const slower = report([phaseReport('intro', 50, 10, stats(150, 60), base)]);
    const result = compareReports(before, slower);
    expect(result.baselineRelative).toBe(true);
    expect(result.regressions.map((r) => r.metric)).toEqual(['rps ÷ baseline', 'p50 ÷ baseline', 'p95 ÷ baseline', 'p99 ÷ baseline']);
    expect(result.regressions[0]!.worseBy).toBeCloseTo(0.25);
  });

  it('tolerates changes within 10% and lists improvements', () => {
    const before = report([phaseReport('intro', 50, 10, stats(200, 40), base)]);
    const within = report([phaseReport('intro', 50, 10, stats(185, 43), base)]);
    expect(compareReports(before, within).regressions).toEqual([]);
    const faster = compareReports(before, report([phaseReport('intro', 50, 10, stats(300, 20), base)]));
    expect(faster.regressions).toEqual([]);
    expect(faster.improvements.length).toBeGreaterThan(0);
  });

  it('compares raw figures when a report has no baseline, and flags error rate and hit rate', () => {
    const before = report([phaseReport('intro', 50, 10, stats(200, 40, { cacheHitRate: 0.95 }), null)]);
    const after = report([phaseReport('intro', 50, 10, stats(200, 40, { cacheHitRate: 0.6, errorRate: 0.05 }), null)]);
    const result = compareReports(before, after);
    expect(result.baselineRelative).toBe(false);
    expect(result.regressions.map((r) => r.metric).sort()).toEqual(['cache hit rate', 'error rate']);
  });

  it('names phases found in only one report', () => {
    const before = report([phaseReport('a', 50, 10, stats(1, 1), base), phaseReport('b', 50, 10, stats(1, 1), base)]);
    const after = report([phaseReport('a', 50, 10, stats(1, 1), base), phaseReport('c', 50, 10, stats(1, 1), base)]);
    expect(compareReports(before, after).unmatched.sort()).toEqual(['b', 'c']);
  });

  it('renders a verdict line per regression', () => {
    const before = report([phaseReport('intro', 50, 10, stats(200, 40), base)]);
    const text = renderComparison(compareReports(before, report([phaseReport('intro', 50, 10, stats(100, 40), base)])), 0.1);
    expect(text).toContain('REGRESSION intro rps ÷ baseline: 0.2 → 0.1 (50% worse)');
  });
});

describe('parseReport', () => {
  it('accepts a report and explains what to pass otherwise', () => {
    const r = report([]);
    expect(parseReport(JSON.parse(JSON.stringify(r)), 'x.json')).toEqual(r);
    expect(() => parseReport({ version: 99 }, 'old.json')).toThrow(/old.json is not a load report.*load\/reports/);
    expect(() => parseReport(null, 'null.json')).toThrow(/not a load report/);
  });
});

describe('report rendering', () => {
  const r = report([phaseReport('intro-page warm @50', 50, 10, stats(250, 40, { cacheHitRate: 0.9 }), base, 0.12)], {
    memory: [
      { t: 0, rssMb: 80 },
      { t: 5, rssMb: 90 },
    ],
  });

  it('prints the baseline row before the phase, with ratios', () => {
    const lines = renderTable(r).split('\n');
    expect(lines[0]).toMatch(/^phase\s+conns\s+req\s+rps/);
    expect(lines[2]).toMatch(/^baseline@50\s+50\s+10000\s+1000 .*×1\s+×1\s+×1\s+–$/);
    expect(lines[3]).toMatch(/^intro-page warm @50 .* 90% +×0\.25 +×4 +×4 +12%$/);
  });

  it('charts the stress ramp by concurrency, one unit per chart', () => {
    const html = renderHtml(
      report([], {
        steps: [
          { connections: 10, rps: 90, p99: 200 },
          { connections: 25, rps: 120, p99: 1400 },
        ],
      }),
    );
    expect(html).toContain('stress ramp: throughput by concurrency');
    expect(html).toContain('stress ramp: p99 latency by concurrency');
    expect(html).toMatch(/<text [^>]*text-anchor="middle">25<\/text>/);
  });

  it('shows a phase aimed at the baseline worker once', () => {
    const own = report([phaseReport('baseline@50', 50, 10, base, base)]);
    expect(renderTable(own).match(/baseline@50/g)).toHaveLength(1);
  });

  it('writes one self-contained HTML page: table, inline SVG charts, escaped text, no external asset', () => {
    const html = renderHtml(r, { text: 'no regression over 10%' });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<td>intro-page warm @50</td>');
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(3); // ratio bars, memory, timeline
    expect(html).toContain('test &lt;script&gt;');
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/(src|href)="http/);
    expect(html).toContain('no regression over 10%');
  });
});
