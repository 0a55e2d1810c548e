/**
 * Figures derived from several phases or over time: the stress knee, soak drift, memory trend.
 * Pure, like stats.ts, so it is tested inside workerd.
 */
import { type LatencySummary, ratio, summarizeLatencies } from './stats';

export interface StressLimits {
  /** A step whose p99 exceeds this is past the knee. */
  maxP99Ms: number;
  /** A step whose share of failed requests exceeds this is past the knee. */
  maxErrorRate: number;
  /** Relative to hello world at the same concurrency: p99 ÷ hello's p99 above this is past the knee. */
  maxP99Ratio?: number;
  /** Relative: throughput ÷ hello's below this is past the knee. */
  minRpsRatio?: number;
  /** Relative: the step's error rate may exceed hello world's by at most maxErrorRate. */
  baselineErrorRate?: boolean;
}
export const DEFAULT_STRESS_LIMITS: StressLimits = { maxP99Ms: 1000, maxErrorRate: 0.01 };
/**
 * The same knee judged against hello world at each step (issue #22's targets): on a busy
 * machine the runtime's own p99 passes any absolute limit, so only the ratio says what is Foyer's.
 */
export const RELATIVE_STRESS_LIMITS: StressLimits = {
  maxP99Ms: Number.POSITIVE_INFINITY,
  maxErrorRate: 0.01,
  maxP99Ratio: 4,
  minRpsRatio: 0.45,
  baselineErrorRate: true,
};

export interface StressStep {
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errorRate: number;
  /** RPS ÷ baseline RPS at the same concurrency. */
  rpsRatio: number | null;
  p99Ratio: number | null;
  /** Hello world's error rate at the same concurrency, when measured. */
  baselineErrorRate?: number | null;
}

/** Why a step is past the knee, or null when it is within the limits. */
export function breach(step: StressStep, limits: StressLimits = DEFAULT_STRESS_LIMITS): string | null {
  const allowedErrors = limits.maxErrorRate + (limits.baselineErrorRate ? (step.baselineErrorRate ?? 0) : 0);
  if (step.errorRate > allowedErrors)
    return limits.baselineErrorRate
      ? `error rate ${(step.errorRate * 100).toFixed(1)}% > ${(allowedErrors * 100).toFixed(1)}% (hello world's + ${limits.maxErrorRate * 100}%)`
      : `error rate ${(step.errorRate * 100).toFixed(1)}% > ${limits.maxErrorRate * 100}%`;
  if (step.p99 > limits.maxP99Ms) return `p99 ${Math.round(step.p99)} ms > ${limits.maxP99Ms} ms`;
  if (limits.maxP99Ratio !== undefined && step.p99Ratio !== null && step.p99Ratio > limits.maxP99Ratio)
    return `p99 ×${step.p99Ratio.toFixed(1)} hello world's > ×${limits.maxP99Ratio}`;
  if (limits.minRpsRatio !== undefined && step.rpsRatio !== null && step.rpsRatio < limits.minRpsRatio)
    return `throughput ×${step.rpsRatio.toFixed(2)} hello world's < ×${limits.minRpsRatio}`;
  return null;
}

export interface Knee {
  /** The highest concurrency still within the limits; null when even the first step broke them. */
  knee: StressStep | null;
  /** The first step past the limits; null when the ramp ended without breaking them. */
  broke: StressStep | null;
  reason: string;
  /** The step with the most throughput, wherever it fell. */
  peakRps: StressStep | null;
}

export function findKnee(steps: StressStep[], limits: StressLimits = DEFAULT_STRESS_LIMITS): Knee {
  let knee: StressStep | null = null;
  let broke: StressStep | null = null;
  let reason = `the ramp ended at ${steps.at(-1)?.connections ?? 0} connections within the limits (${describeLimits(limits)})`;
  for (const step of steps) {
    const why = breach(step, limits);
    if (why) {
      broke = step;
      reason = `at ${step.connections} connections: ${why}`;
      break;
    }
    knee = step;
  }
  const peakRps = steps.reduce<StressStep | null>((best, s) => (best === null || s.rps > best.rps ? s : best), null);
  return { knee, broke, reason, peakRps };
}

function describeLimits(limits: StressLimits): string {
  const parts: string[] = [];
  if (Number.isFinite(limits.maxP99Ms)) parts.push(`p99 ≤ ${limits.maxP99Ms} ms`);
  if (limits.maxP99Ratio !== undefined) parts.push(`p99 ≤ ×${limits.maxP99Ratio} hello world's`);
  if (limits.minRpsRatio !== undefined) parts.push(`throughput ≥ ×${limits.minRpsRatio} hello world's`);
  parts.push(`errors ≤ ${limits.baselineErrorRate ? "hello world's + " : ''}${limits.maxErrorRate * 100}%`);
  return parts.join(', ');
}

/**
 * What belongs to the local runtime rather than to Foyer, measured in the same run: hello world
 * runs in the same workerd behind the same entry at the same concurrency, so whatever it
 * suffers too (connection failures, a latency set by the queue) is the runtime's and the
 * machine's. A closed-loop generator holds each connection until its answer comes, so the
 * mean latency is connections ÷ throughput (Little's law): a worker with a throughput share r
 * has a mean latency of at least 1/r × hello world's, whatever it does.
 */
export interface RuntimeShare {
  phase: string;
  connections: number;
  baselineErrors: number;
  baselineRequests: number;
  errors: number;
  /** connections ÷ rps, in ms, for each: the latency the queue alone explains. */
  queueMeanMs: { phase: number; baseline: number };
  meanMs: { phase: number; baseline: number };
}

export function runtimeShare(phase: {
  name: string;
  connections: number;
  stats: { rps: number; errors: number; requests: number; latencyMs: LatencySummary };
  baseline: { rps: number; errors: number; requests: number; latencyMs: LatencySummary } | null;
}): RuntimeShare | null {
  const { stats, baseline } = phase;
  if (!baseline || stats.rps <= 0 || baseline.rps <= 0) return null;
  return {
    phase: phase.name,
    connections: phase.connections,
    baselineErrors: baseline.errors,
    baselineRequests: baseline.requests,
    errors: stats.errors,
    queueMeanMs: { phase: (phase.connections / stats.rps) * 1000, baseline: (phase.connections / baseline.rps) * 1000 },
    meanMs: { phase: stats.latencyMs.mean, baseline: baseline.latencyMs.mean },
  };
}

/** The sentence the load report prints for a phase's runtime share. */
export function describeRuntimeShare(share: RuntimeShare): string {
  const ms = (n: number) => `${Math.round(n)} ms`;
  const failures =
    share.baselineErrors > 0
      ? `hello world, in the same workerd behind the same entry, also lost ${share.baselineErrors} of ${share.baselineRequests + share.baselineErrors} requests (Foyer ${share.errors}): connection failures at this concurrency are the local runtime's and this machine's, not Foyer's`
      : `hello world lost no request (Foyer ${share.errors})`;
  return (
    `${share.phase.includes(`@${share.connections}`) ? share.phase : `${share.phase} @${share.connections}`}: ${failures}. Queue alone (connections ÷ throughput, Little's law): ` +
    `hello world ${ms(share.queueMeanMs.baseline)} (mean measured ${ms(share.meanMs.baseline)}), Foyer ${ms(share.queueMeanMs.phase)} (mean measured ${ms(share.meanMs.phase)}).`
  );
}

/**
 * Rounds of the spin worker's loop that bring hello world to `targetCpuMs` of workerd CPU per
 * request, from one calibration run (`calibrationRounds` rounds cost `calibratedCpuMs`; plain
 * hello world costs `helloCpuMs`): the loop's cost is linear in its rounds. Null when the figures
 * cannot give a positive count (no CPU figures, or a target at or below hello world's own cost).
 */
export function spinRoundsToMatch(
  targetCpuMs: number | null | undefined,
  helloCpuMs: number | null | undefined,
  calibratedCpuMs: number | null | undefined,
  calibrationRounds: number,
): number | null {
  if (!targetCpuMs || !helloCpuMs || !calibratedCpuMs) return null;
  if (targetCpuMs <= helloCpuMs || calibratedCpuMs <= helloCpuMs) return null;
  return Math.round((calibrationRounds * (targetCpuMs - helloCpuMs)) / (calibratedCpuMs - helloCpuMs));
}

export interface Drift {
  windowSec: number;
  first: LatencySummary;
  last: LatencySummary;
  /** last ÷ first: 1 = no drift, 1.5 = 50 % slower at the end. */
  p50: number | null;
  p99: number | null;
  /** Throughput in the last window ÷ the first. */
  rps: number | null;
}

/** Compares the first and the last `fraction` of a long phase (at least one second each). */
export function latencyDrift(latencies: ArrayLike<number>, arrivalsSec: ArrayLike<number>, durationSec: number, fraction = 0.1): Drift {
  const windowSec = Math.max(1, durationSec * fraction);
  const first: number[] = [];
  const last: number[] = [];
  for (let i = 0; i < latencies.length; i++) {
    const t = arrivalsSec[i]!;
    if (t < windowSec) first.push(latencies[i]!);
    else if (t >= durationSec - windowSec) last.push(latencies[i]!);
  }
  const a = summarizeLatencies(first);
  const b = summarizeLatencies(last);
  return { windowSec, first: a, last: b, p50: ratio(b.p50, a.p50), p99: ratio(b.p99, a.p99), rps: ratio(last.length, first.length) };
}

export interface MemoryTrend {
  samples: number;
  startMb: number;
  endMb: number;
  maxMb: number;
  /** Least-squares slope over the whole run, MB per minute (leak indicator). */
  slopeMbPerMin: number;
}

export function memoryTrend(samples: { t: number; rssMb: number }[]): MemoryTrend | null {
  if (samples.length === 0) return null;
  const n = samples.length;
  const meanT = samples.reduce((s, p) => s + p.t, 0) / n;
  const meanM = samples.reduce((s, p) => s + p.rssMb, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of samples) {
    num += (p.t - meanT) * (p.rssMb - meanM);
    den += (p.t - meanT) ** 2;
  }
  return {
    samples: n,
    startMb: samples[0]!.rssMb,
    endMb: samples[n - 1]!.rssMb,
    maxMb: Math.max(...samples.map((p) => p.rssMb)),
    slopeMbPerMin: den === 0 ? 0 : (num / den) * 60,
  };
}

/** The soak's pass line (issue #16): after the first minute, RSS grows < 10 % and p99 drifts < 1.5×. */
export const SOAK_LIMITS = { settleSec: 60, maxRssGrowth: 0.1, maxP99Drift: 1.5 };

export interface SoakVerdict {
  /** RSS at the first sample after `settleSec`, and the largest sample after it, MB. */
  rssSettledMb: number | null;
  rssMaxAfterMb: number | null;
  /** (max after − settled) ÷ settled. */
  rssGrowth: number | null;
  /** p99 of the last `settleSec` of the phase ÷ p99 of the `settleSec` right after settling. */
  p99Drift: number | null;
  failures: string[];
}

/**
 * Judges a soak after its first minute (start-up, JIT and cache fills are not a leak): memory
 * samples carry `t` from the start of the phase, latencies their arrival second in the phase.
 */
export function soakVerdict(
  memory: { t: number; rssMb: number }[],
  latencies: ArrayLike<number>,
  arrivalsSec: ArrayLike<number>,
  durationSec: number,
  limits = SOAK_LIMITS,
): SoakVerdict {
  const after = memory.filter((m) => m.t >= limits.settleSec);
  const settled = after[0]?.rssMb ?? null;
  const maxAfter = after.length ? Math.max(...after.map((m) => m.rssMb)) : null;
  const rssGrowth = settled !== null && maxAfter !== null && settled > 0 ? (maxAfter - settled) / settled : null;
  const early: number[] = [];
  const late: number[] = [];
  const lateFrom = Math.max(2 * limits.settleSec, durationSec - limits.settleSec);
  for (let i = 0; i < latencies.length; i++) {
    const t = arrivalsSec[i]!;
    if (t >= limits.settleSec && t < 2 * limits.settleSec) early.push(latencies[i]!);
    else if (t >= lateFrom) late.push(latencies[i]!);
  }
  const p99Drift = ratio(summarizeLatencies(late).p99, summarizeLatencies(early).p99);
  const failures: string[] = [];
  if (durationSec < 3 * limits.settleSec)
    failures.push(`the soak ran ${durationSec} s; judging it needs at least ${3 * limits.settleSec} s`);
  if (rssGrowth !== null && rssGrowth >= limits.maxRssGrowth)
    failures.push(`RSS grew ${(rssGrowth * 100).toFixed(1)} % after the first minute (limit ${limits.maxRssGrowth * 100} %)`);
  if (p99Drift !== null && p99Drift >= limits.maxP99Drift)
    failures.push(`p99 drifted ×${p99Drift.toFixed(2)} (limit ×${limits.maxP99Drift})`);
  return { rssSettledMb: settled, rssMaxAfterMb: maxAfter, rssGrowth, p99Drift, failures };
}

/**
 * The throughput ratio to hello world a mix of reads and writes reaches when the worker's thread
 * is the bottleneck: hello world's CPU per request over the mix's, (1 − share) × read + share ×
 * write. What the `floor` scenario uses to say how high `mixed` can go with a given page and write.
 *
 * @example
 * mixedRatio(0.47, 1.04, 16, 0.05) // ≈ 0.26: today's page and write
 */
export function mixedRatio(
  helloCpuMs: number | null | undefined,
  readCpuMs: number | null | undefined,
  writeCpuMs: number | null | undefined,
  writeShare: number,
): number | null {
  if (!helloCpuMs || !readCpuMs || !writeCpuMs || writeShare < 0 || writeShare > 1) return null;
  return helloCpuMs / ((1 - writeShare) * readCpuMs + writeShare * writeCpuMs);
}

/**
 * The most a write may cost (ms of CPU) for the mix to reach `targetRatio` of hello world with
 * reads at `readCpuMs`; null when the reads alone already miss it.
 */
export function writeBudgetFor(
  targetRatio: number,
  helloCpuMs: number | null | undefined,
  readCpuMs: number | null | undefined,
  writeShare: number,
): number | null {
  if (!helloCpuMs || !readCpuMs || targetRatio <= 0 || writeShare <= 0 || writeShare > 1) return null;
  const budget = (helloCpuMs / targetRatio - (1 - writeShare) * readCpuMs) / writeShare;
  return budget > 0 ? budget : null;
}

/** The middle of the known values (the mean of the two middle ones for an even count); null if none. */
export function median(values: readonly (number | null | undefined)[]): number | null {
  const known = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (known.length === 0) return null;
  const mid = Math.floor(known.length / 2);
  return known.length % 2 ? known[mid]! : (known[mid - 1]! + known[mid]!) / 2;
}
