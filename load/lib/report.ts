/**
 * The load report (saved as JSON under load/reports/) and `--compare`: which figures got
 * worse by more than the tolerance. Pure, so it is tested inside workerd.
 */
import { type BaselineRatio, baselineRatio, type PhaseStats } from './stats';

export const REPORT_VERSION = 1;
/** `--compare` flags a figure that got worse by more than this share. */
export const DEFAULT_TOLERANCE = 0.1;

/** Phases aimed at the hello-world worker itself are named `baseline@<connections>`. */
export const BASELINE_PHASE_PREFIX = 'baseline@';

export interface PhaseReport {
  name: string;
  /** Concurrent connections (or sockets) the generator held open. */
  connections: number;
  durationSec: number;
  stats: PhaseStats;
  /** The hello-world worker at the same concurrency, same runtime, same run. */
  baseline: PhaseStats | null;
  ratio: BaselineRatio | null;
  /**
   * How much the baseline's RPS before and after the phase disagreed (|a − b| ÷ mean); a
   * measure of how noisy the machine was meanwhile. Null when the baseline was measured once.
   */
  baselineSpread?: number | null;
  /**
   * CPU time of the whole workerd process (worker, Durable Objects, runtime) per answered
   * request, from /proc: for this phase and for its baseline. Unlike RPS it does not depend on
   * how much CPU the load generator and the rest of the machine left over. Null off Linux.
   */
  cpuMsPerRequest?: { phase: number | null; baseline: number | null };
}

export interface LoadReport {
  version: typeof REPORT_VERSION;
  scenario: string;
  description: string;
  startedAt: string;
  finishedAt: string;
  target: {
    kind: 'miniflare' | 'url';
    url: string;
    runtime: string;
    seedUsers: number | null;
    /** Variables the scenario or `--var` set on top of wrangler.toml and .dev.vars. */
    vars: Record<string, string>;
  };
  machine: { cpus: number; loadAvg: number[]; node: string; platform: string; commit: string | null };
  phases: PhaseReport[];
  /** Scenario-specific figures (stress knee, soak memory, feed fan-out...). */
  extra: Record<string, unknown>;
  notes: string[];
}

export function phaseReport(
  name: string,
  connections: number,
  durationSec: number,
  stats: PhaseStats,
  baseline: PhaseStats | null,
  baselineSpread: number | null = null,
): PhaseReport {
  return { name, connections, durationSec, stats, baseline, ratio: baseline ? baselineRatio(stats, baseline) : null, baselineSpread };
}

export interface Regression {
  phase: string;
  metric: string;
  before: number;
  after: number;
  /** Relative change in the "worse" direction, e.g. 0.25 = 25 % worse. */
  worseBy: number;
}

export interface Comparison {
  regressions: Regression[];
  improvements: Regression[];
  /** Phases present in only one of the two reports. */
  unmatched: string[];
  /** True when figures were compared as ratios to each run's own baseline. */
  baselineRelative: boolean;
}

type Direction = 'higher-is-better' | 'lower-is-better';

/**
 * Compares two reports phase by phase. When both phases carry a baseline, their
 * baseline-relative figures are compared (robust to a busier machine); otherwise the raw
 * figures are. Error rate is compared in absolute points, since 0 → 0.1 % has no ratio.
 */
export function compareReports(before: LoadReport, after: LoadReport, tolerance = DEFAULT_TOLERANCE): Comparison {
  const regressions: Regression[] = [];
  const improvements: Regression[] = [];
  const unmatched: string[] = [];
  let baselineRelative = true;
  const old = new Map(before.phases.map((p) => [p.name, p]));
  for (const phase of after.phases) {
    const prev = old.get(phase.name);
    old.delete(phase.name);
    if (!prev) {
      unmatched.push(phase.name);
      continue;
    }
    const check = (metric: string, a: number | null | undefined, b: number | null | undefined, direction: Direction) => {
      if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || a === 0) return;
      const change = direction === 'higher-is-better' ? (a - b) / a : (b - a) / a;
      const entry = { phase: phase.name, metric, before: a, after: b, worseBy: change };
      if (change > tolerance) regressions.push(entry);
      else if (change < -tolerance) improvements.push(entry);
    };
    if (prev.ratio && phase.ratio) {
      check('rps ÷ baseline', prev.ratio.rps, phase.ratio.rps, 'higher-is-better');
      check('p50 ÷ baseline', prev.ratio.p50, phase.ratio.p50, 'lower-is-better');
      check('p95 ÷ baseline', prev.ratio.p95, phase.ratio.p95, 'lower-is-better');
      check('p99 ÷ baseline', prev.ratio.p99, phase.ratio.p99, 'lower-is-better');
    } else {
      baselineRelative = false;
      check('rps', prev.stats.rps, phase.stats.rps, 'higher-is-better');
      check('p50 ms', prev.stats.latencyMs.p50, phase.stats.latencyMs.p50, 'lower-is-better');
      check('p95 ms', prev.stats.latencyMs.p95, phase.stats.latencyMs.p95, 'lower-is-better');
      check('p99 ms', prev.stats.latencyMs.p99, phase.stats.latencyMs.p99, 'lower-is-better');
    }
    const errDelta = phase.stats.errorRate - prev.stats.errorRate;
    if (errDelta > tolerance / 10) {
      regressions.push({
        phase: phase.name,
        metric: 'error rate',
        before: prev.stats.errorRate,
        after: phase.stats.errorRate,
        worseBy: errDelta,
      });
    }
    check('cache hit rate', prev.stats.cacheHitRate, phase.stats.cacheHitRate, 'higher-is-better');
  }
  unmatched.push(...old.keys());
  return { regressions, improvements, unmatched, baselineRelative };
}

/** Checks that parsed JSON is a report this version can compare, with a message that says what to do. */
export function parseReport(json: unknown, source: string): LoadReport {
  const r = json as Partial<LoadReport> | null;
  if (!r || typeof r !== 'object' || r.version !== REPORT_VERSION || !Array.isArray(r.phases)) {
    throw new Error(
      `${source} is not a load report of version ${REPORT_VERSION}; pass a .json file from load/reports/ written by \`npm run load\`.`,
    );
  }
  return r as LoadReport;
}
