/**
 * `stress`: warm intro pages at rising concurrency until errors pass 1 % or p99 passes 1 s;
 * the knee is the last step within those limits. Each step is paired with the baseline at
 * the same concurrency, so the knee's throughput is also a share of the runtime's own.
 */
import { DEFAULT_STRESS_LIMITS, findKnee, RELATIVE_STRESS_LIMITS, type StressStep } from '../lib/analysis';
import type { Scenario } from '../lib/scenario';
import { randomIntroPages, warmIntroPages } from './pages';

/** Concurrency steps; `--connections` caps the ramp. */
export const STRESS_STEPS = [2, 5, 10, 25, 50, 100, 200, 400, 800];

/** `--steps 200,400,600,800,1000`: the steps to run, every one of them (no early stop). */
function stepsOption(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const steps = raw.split(',').map((s) => Number(s.trim()));
  if (steps.length === 0 || steps.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--steps must be a comma-separated list of whole numbers, got ${raw}`);
  return steps;
}

export const stress: Scenario = {
  name: 'stress',
  description: `Warm intro pages at ${STRESS_STEPS.join(', ')} connections (or --steps; --duration per step, default 8 s) until p99 > 1 s or errors > 1%; reports the knee, and the knee against hello world (p99 ≤ ×4, throughput ≥ ×0.45, errors ≤ hello's + 1%).`,
  defaultDurationSec: 8,
  users: 1000,
  async run(ctx) {
    const cap = ctx.options.connections ? Number(ctx.options.connections) : Number.POSITIVE_INFINITY;
    if (!(cap >= 1)) throw new Error(`--connections must be a positive number, got ${ctx.options.connections}`);
    await warmIntroPages(ctx);
    const steps: StressStep[] = [];
    const next = randomIntroPages(ctx, 3);
    const chosen = stepsOption(ctx.options.steps);
    for (const connections of (chosen ?? STRESS_STEPS).filter((c) => c <= cap)) {
      const phase = await ctx.measure(`stress @${connections}`, { connections, durationSec: ctx.durationSec, next });
      const s = phase.stats;
      steps.push({
        connections,
        rps: s.rps,
        p50: s.latencyMs.p50,
        p99: s.latencyMs.p99,
        errorRate: s.errorRate,
        rpsRatio: phase.ratio?.rps ?? null,
        p99Ratio: phase.ratio?.p99 ?? null,
        baselineErrorRate: phase.baseline?.errorRate ?? null,
      });
      const knee = findKnee(steps);
      if (knee.broke && !chosen) break;
    }
    const knee = findKnee(steps);
    const relativeKnee = findKnee(steps, RELATIVE_STRESS_LIMITS);
    ctx.extra.limits = DEFAULT_STRESS_LIMITS;
    ctx.extra.relativeLimits = { ...RELATIVE_STRESS_LIMITS, maxP99Ms: null };
    ctx.extra.steps = steps;
    ctx.extra.knee = knee;
    ctx.extra.relativeKnee = relativeKnee;
    ctx.log(
      relativeKnee.knee
        ? `knee against hello world: ${relativeKnee.knee.connections} connections (×${relativeKnee.knee.rpsRatio?.toFixed(2)} throughput, p99 ×${relativeKnee.knee.p99Ratio?.toFixed(1)}); ${relativeKnee.reason}`
        : `knee against hello world: none; ${relativeKnee.reason}`,
    );
    ctx.log(
      knee.knee
        ? `knee: ${knee.knee.connections} connections, ${Math.round(knee.knee.rps)} rps, p99 ${Math.round(knee.knee.p99)} ms; stopped ${knee.reason}`
        : `no step stayed within the limits: ${knee.reason}`,
    );
  },
};
