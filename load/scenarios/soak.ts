/**
 * `soak`: the normal read load held for a long time (10 min by default), watching workerd's
 * resident memory and whether latency drifts from the first to the last tenth of the run.
 */
import { latencyDrift, memoryTrend } from '../lib/analysis';
import type { Scenario } from '../lib/scenario';
import { randomIntroPages, warmIntroPages } from './pages';

export const soak: Scenario = {
  name: 'soak',
  description:
    'Warm intro pages at 50 connections for 10 min (--duration to shorten); workerd RSS every few seconds, latency drift first vs last 10%.',
  defaultDurationSec: 600,
  users: 1000,
  async run(ctx) {
    const connections = ctx.options.connections ? Number(ctx.options.connections) : 50;
    await warmIntroPages(ctx);
    const memory: { t: number; rssMb: number }[] = [];
    const everySec = ctx.durationSec >= 120 ? 5 : 1;
    let started = 0;
    const sample = () => {
      const rss = ctx.workerdRssMb();
      if (rss !== null) memory.push({ t: Math.round((performance.now() - started) / 100) / 10, rssMb: Math.round(rss * 10) / 10 });
    };
    const phase = ctx.measure(`soak @${connections}`, {
      connections,
      durationSec: ctx.durationSec,
      next: randomIntroPages(ctx, 5),
      onRaw: (raw) => {
        ctx.extra.drift = latencyDrift(raw.latenciesMs, raw.arrivalsSec, raw.durationSec);
      },
    });
    // ctx.measure first runs the (shorter) baseline; memory is sampled from the start either way.
    started = performance.now();
    sample();
    const timer = setInterval(sample, everySec * 1000);
    try {
      await phase;
    } finally {
      clearInterval(timer);
    }
    sample();
    ctx.extra.memory = memory;
    ctx.extra.memoryTrend = memoryTrend(memory);
    if (memory.length === 0) ctx.note('workerd memory was not sampled (needs the local runtime on Linux).');
    else ctx.note('memory includes the baseline phase at the start, then the soak itself; RSS is the whole workerd process.');
  },
};
