/**
 * `stress`: warm intro pages at rising concurrency until errors pass 1 % or p99 passes 1 s;
 * the knee is the last step within those limits. Each step is paired with the baseline at
 * the same concurrency, so the knee's throughput is also a share of the runtime's own.
 */
import { DEFAULT_STRESS_LIMITS, findKnee, type StressStep } from '../lib/analysis';
import type { Scenario } from '../lib/scenario';
import { randomIntroPages, warmIntroPages } from './pages';

/** Concurrency steps; `--connections` caps the ramp. */
export const STRESS_STEPS = [2, 5, 10, 25, 50, 100, 200, 400, 800];

export const stress: Scenario = {
  name: 'stress',
  description: `Warm intro pages at ${STRESS_STEPS.join(', ')} connections (--duration per step, default 8 s) until p99 > 1 s or errors > 1%; reports the knee.`,
  defaultDurationSec: 8,
  users: 1000,
  async run(ctx) {
    const cap = ctx.options.connections ? Number(ctx.options.connections) : Number.POSITIVE_INFINITY;
    if (!(cap >= 1)) throw new Error(`--connections must be a positive number, got ${ctx.options.connections}`);
    await warmIntroPages(ctx);
    const steps: StressStep[] = [];
    const next = randomIntroPages(ctx, 3);
    for (const connections of STRESS_STEPS.filter((c) => c <= cap)) {
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
      });
      const knee = findKnee(steps);
      if (knee.broke) break;
    }
    const knee = findKnee(steps);
    ctx.extra.limits = DEFAULT_STRESS_LIMITS;
    ctx.extra.steps = steps;
    ctx.extra.knee = knee;
    ctx.log(
      knee.knee
        ? `knee: ${knee.knee.connections} connections, ${Math.round(knee.knee.rps)} rps, p99 ${Math.round(knee.knee.p99)} ms; stopped ${knee.reason}`
        : `no step stayed within the limits: ${knee.reason}`,
    );
  },
};
