/**
 * `soak`: the normal read load held for a long time (10 min by default), watching workerd's
 * resident memory, the Foyer isolate's own V8 heap, and whether latency drifts. Prints a progress
 * line every 30 s; fails (exit 1) when, after the first minute, RSS grows 10 % or more or p99
 * drifts ×1.5 or more (analysis.ts SOAK_LIMITS).
 */

import { latencyDrift, memoryTrend, soakVerdict } from '../lib/analysis';
import { intOption, type Scenario } from '../lib/scenario';
import { round, summarizeLatencies } from '../lib/stats';
import { randomIntroPages, warmIntroPages } from './pages';

const PROGRESS_EVERY_SEC = 30;
const MB = 1024 * 1024;

interface MemorySample {
  /** Seconds from the start of the soak phase (negative: the baseline before it). */
  t: number;
  rssMb: number;
  /** The Foyer isolate's used heap, MB (not after a GC: what it holds at that moment). */
  heapMb?: number;
}

export const soak: Scenario = {
  name: 'soak',
  description:
    'Warm intro pages at 50 connections for 10 min (--duration to shorten); workerd RSS and the isolate heap every few seconds, progress every 30 s, drift after the first minute.',
  defaultDurationSec: 600,
  users: 1000,
  isolateHeap: true,
  async run(ctx) {
    const connections = intOption(ctx, 'connections', 50);
    await warmIntroPages(ctx);
    const sampled: { at: number; rssMb: number; heapMb?: number }[] = [];
    const everySec = ctx.durationSec >= 120 ? 5 : 1;
    const sample = async () => {
      const at = performance.now();
      const rss = ctx.workerdRssMb();
      const heap = await ctx.isolateHeap();
      if (rss !== null)
        sampled.push({ at, rssMb: round(rss), ...(heap ? { heapMb: round((heap.usedBytes + heap.backingBytes) / MB) } : {}) });
    };
    // The live heap (after a forced GC) before and after: a leak in the isolate shows as a higher floor.
    // Taken before the phase's baseline starts: a heap snapshot stops the isolate for a moment.
    const gcBefore = await ctx.isolateHeap(true);
    let phaseStart = performance.now();
    const toPhaseTime = (): MemorySample[] => sampled.map(({ at, ...m }) => ({ t: Math.round((at - phaseStart) / 100) / 10, ...m }));
    const phase = ctx.measure(`soak @${connections}`, {
      connections,
      durationSec: ctx.durationSec,
      next: randomIntroPages(ctx, 5),
      progress: {
        everySec: PROGRESS_EVERY_SEC,
        report(w) {
          phaseStart = performance.now() - w.elapsedSec * 1000;
          const s = summarizeLatencies(w.latenciesMs);
          const last = sampled.at(-1);
          ctx.log(
            `soak ${Math.round(w.elapsedSec)} s: ${round(w.latenciesMs.length / w.windowSec)} rps, p50 ${round(s.p50)} ms, p99 ${round(s.p99)} ms, ` +
              `${w.errors} failed; workerd RSS ${last?.rssMb ?? '–'} MB, isolate heap ${last?.heapMb ?? '–'} MB`,
          );
        },
      },
      onRaw: (raw) => {
        phaseStart = performance.now() - raw.durationSec * 1000;
        ctx.extra.drift = latencyDrift(raw.latenciesMs, raw.arrivalsSec, raw.durationSec);
        ctx.extra.soakVerdict = soakVerdict(toPhaseTime(), raw.latenciesMs, raw.arrivalsSec, raw.durationSec);
      },
    });
    await sample();
    const timer = setInterval(() => void sample(), everySec * 1000);
    try {
      await phase;
    } finally {
      clearInterval(timer);
    }
    await sample();
    const gcAfter = await ctx.isolateHeap(true);
    const memory = toPhaseTime();
    ctx.extra.memory = memory;
    ctx.extra.memoryTrend = memoryTrend(memory.filter((m) => m.t >= 0));
    ctx.extra.heapAfterGcMb = {
      before: gcBefore ? round((gcBefore.usedBytes + gcBefore.backingBytes) / MB) : null,
      after: gcAfter ? round((gcAfter.usedBytes + gcAfter.backingBytes) / MB) : null,
    };
    const verdict = ctx.extra.soakVerdict as ReturnType<typeof soakVerdict> | undefined;
    for (const failure of verdict?.failures ?? []) ctx.fail(`soak: ${failure}`);
    if (memory.length === 0) ctx.note('workerd memory was not sampled (needs the local runtime on Linux).');
    else
      ctx.note(
        'memory: t < 0 is the baseline before the soak. RSS is the whole workerd process; heapMb is the Foyer isolate alone (its Durable Objects included locally).',
      );
  },
};
