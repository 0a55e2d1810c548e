/**
 * What a scenario is given and what it gives back. A scenario is a small module in
 * load/scenarios/ that drives phases through `ctx.measure` (HTTP, paired with the baseline)
 * or its own client (WebSockets), and adds its own figures to `ctx.extra`.
 */
import type { HttpPhaseOptions, RequestSpec } from './http-load';
import type { HeapUsage } from './profiler';
import type { PhaseReport } from './report';
import type { PhaseStats, RawSample } from './stats';
import type { LoadUser } from './users';

/**
 * From this many connections on, the local runtime starves some connections for seconds (hello
 * world's too: docs/performance.md, "1,000 connections"), so a phase there gets a baseline as long
 * as itself, and the intro-page phases a CPU-matched hello world control.
 */
export const LONG_BASELINE_CONNECTIONS = 500;

export interface MeasureOptions {
  connections: number;
  durationSec: number;
  next: () => RequestSpec;
  /** Measure the hello-world worker at the same concurrency too (default true). */
  baseline?: boolean;
  /** Receives the unsummarised sample (for figures like drift over time). */
  onRaw?: (raw: RawSample) => void;
  /** Progress reports while the phase runs (see HttpPhaseOptions.progress). */
  progress?: HttpPhaseOptions['progress'];
  /**
   * Aim the phase at the baseline worker itself (the `baseline` scenario), at hello world
   * slowed by pure CPU (`spin`: paths `/spin/<rounds>`, the CPU-matched control), or at a floor
   * (load/lib/floor-workers.ts: `floor-page`, `floor-write`).
   */
  target?: 'foyer' | 'baseline' | 'spin' | 'floor-page' | 'floor-write';
}

export interface ScenarioContext {
  /** Origin of the Foyer worker under test, e.g. http://127.0.0.1:8770. */
  url: string;
  /** PUTs a floor worker's setup (load/lib/floor-workers.ts) on the local runtime; answers the HTTP status. */
  setUpFloor(target: 'floor-page' | 'floor-write', path: string, body: string): Promise<number>;
  /** Seeded users with signed tokens; `users[i].auth` is the Authorization header. */
  users: LoadUser[];
  /** An admin (`ops`) for admin routes. */
  admin: LoadUser;
  /** `--duration` if given, else the scenario's default, in seconds. */
  durationSec: number;
  /** Options a scenario may read (`--connections`, `--path`, ...), as given on the command line. */
  options: Record<string, string | undefined>;
  log(line: string): void;
  note(text: string): void;
  /** A check the scenario defines did not hold: noted, and the run exits 1 (after saving the report). */
  fail(text: string): void;
  extra: Record<string, unknown>;
  /** Runs one HTTP phase against Foyer, and the baseline at the same concurrency (cached per run). */
  measure(name: string, options: MeasureOptions): Promise<PhaseReport>;
  /** The hello-world worker at this concurrency (measured once per run and concurrency). */
  baselineAt(connections: number, durationSec: number): Promise<PhaseStats>;
  /** Adds a phase a scenario measured with its own client (e.g. WebSocket writes) to the report. */
  record(phase: PhaseReport): void;
  /** Visits every path once (a few at a time, within a time budget) so later requests meet warm caches. */
  warm(specs: RequestSpec[], concurrency?: number, budgetSec?: number): Promise<{ ok: number; failed: number }>;
  /** Restarts the worker with these variables on top of the defaults (local runtime only). */
  setVars(vars: Record<string, string>): Promise<void>;
  /** Resident memory of the workerd process in MB; null on `--url` or off Linux. */
  workerdRssMb(): number | null;
  /**
   * The Foyer isolate's V8 heap (inspector `Runtime.getHeapUsage`), after a forced full GC when
   * `afterGc`; null unless the scenario sets `isolateHeap` (or `--profile`) on the local runtime.
   */
  isolateHeap(afterGc?: boolean): Promise<HeapUsage | null>;
}

export interface Scenario {
  name: string;
  description: string;
  defaultDurationSec: number;
  /** How many seeded users the scenario draws from (signed before it starts). */
  users?: number;
  /** At least this many generated users are seeded (more than `--seed-users` when larger). */
  seedUsers?: number;
  /** Opens workerd's inspector to read the Foyer isolate's heap (ctx.isolateHeap). */
  isolateHeap?: boolean;
  /** Variables the scenario needs the worker to start with. */
  vars?: Record<string, string>;
  run(ctx: ScenarioContext): Promise<void>;
}

/** A whole-number option (`--connections`, …) of at least 1, else `fallback` when it was not given. */
export function intOption(ctx: Pick<ScenarioContext, 'options'>, name: string, fallback: number): number {
  const raw = ctx.options[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number, got ${raw}`);
  return n;
}

export const introPage = (user: LoadUser): RequestSpec => ({
  path: `/api/v1/intro-page/${user.id}`,
  headers: { authorization: user.auth },
});
