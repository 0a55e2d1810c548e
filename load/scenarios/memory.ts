/**
 * `memory`: the Foyer isolate's own V8 heap as more distinct users are warm (issue #20). Warms
 * 1 000, 5 000, then 20 000 users in turn (seeded first: the scenario asks for 20 000), records the
 * heap after a forced full GC at each step, then reads random pages of all the users warmed so
 * far for `--duration` seconds to measure how often the isolate still answers from its memory.
 * Fails (exit 1) when the heap at the last step exceeds MAX_HEAP_MB.
 */
import type { HeapUsage } from '../lib/profiler';
import { introPage, type Scenario, type ScenarioContext } from '../lib/scenario';
import { round } from '../lib/stats';
import { randomIntroPages } from './pages';

/** The load-suite check of issue #20: half the 128 MB isolate, at 20 000 warm users. */
export const MAX_HEAP_MB = 64;
const STEPS = [1000, 5000, 20_000];
const MB = 1024 * 1024;
/** Reading 20 000 pages on two shared cores takes minutes: the warm-up of a step may take this long. */
const WARM_BUDGET_SEC = 900;
const WARM_CONCURRENCY = 32;

interface MemoryStep {
  users: number;
  /** Used V8 heap plus ArrayBuffer backing stores after a forced GC, once the step's users were warmed, MB. */
  heapMb: number;
  /** Of which backing stores (page bytes), MB. */
  backingMb: number;
  /** The same after the step's measured reads (which refill what they miss), MB. */
  heapAfterReadsMb: number | null;
  /** (heap − previous step's heap) ÷ users added, KB: what one more cached user costs. */
  kbPerAddedUser: number | null;
  /** What the isolate's page cache says it holds (admin cache status): entries and accounted MB. */
  cachedPages: number | null;
  accountedMb: number | null;
  /** Share of the measured reads answered from the isolate's memory (`foyer-isolate; hit`). */
  isolateHitRate: number | null;
  /** Share answered by any cache layer (isolate or KV). */
  cacheHitRate: number | null;
  warmSec: number;
}

/** The page cache's own account (GET /api/v1/admin/cache), to set beside the measured heap. */
async function accounted(ctx: ScenarioContext): Promise<{ cachedPages: number | null; accountedMb: number | null }> {
  const res = await fetch(`${ctx.url}/api/v1/admin/cache`, { headers: { authorization: ctx.admin.auth } }).catch(() => null);
  const body = res?.ok ? ((await res.json()) as { keys?: { isolate?: { entries?: number; bytes?: number } } }) : null;
  const isolate = body?.keys?.isolate;
  return {
    cachedPages: isolate?.entries ?? null,
    accountedMb: typeof isolate?.bytes === 'number' ? round(isolate.bytes / MB) : null,
  };
}

export const memory: Scenario = {
  name: 'memory',
  description: `The isolate's V8 heap after a forced GC with ${STEPS.join(', ')} distinct users warm, and the isolate hit rate at each; fails above ${MAX_HEAP_MB} MB.`,
  defaultDurationSec: 15,
  users: STEPS.at(-1),
  seedUsers: STEPS.at(-1),
  isolateHeap: true,
  async run(ctx) {
    const empty = await ctx.isolateHeap(true);
    if (!empty) throw new Error('the memory scenario reads the isolate heap through the inspector: it needs the local runtime (no --url)');
    const live = (h: HeapUsage) => h.usedBytes + h.backingBytes;
    ctx.log(`isolate heap before warming: ${round(live(empty) / MB)} MB after GC`);
    const steps: MemoryStep[] = [];
    const sizes = [...new Set([...STEPS.filter((n) => n < ctx.users.length), Math.min(STEPS.at(-1)!, ctx.users.length)])];
    let warmed = 0;
    let previousHeap = live(empty);
    for (const size of sizes) {
      const started = performance.now();
      // Reading each page once fills the isolate as real traffic does (fragments and rendered pages).
      const read = await ctx.warm(ctx.users.slice(warmed, size).map(introPage), WARM_CONCURRENCY, WARM_BUDGET_SEC);
      if (read.failed > 0) ctx.note(`step ${size}: ${read.failed} pages failed while warming`);
      const warmSec = round((performance.now() - started) / 1000);
      const heap = (await ctx.isolateHeap(true))!;
      const added = size - warmed;
      warmed = size;
      const step: MemoryStep = {
        users: size,
        heapMb: round(live(heap) / MB),
        backingMb: round(heap.backingBytes / MB),
        heapAfterReadsMb: null,
        kbPerAddedUser: round((live(heap) - previousHeap) / 1024 / added),
        ...(await accounted(ctx)),
        isolateHitRate: null,
        cacheHitRate: null,
        warmSec,
      };
      previousHeap = live(heap);
      ctx.log(
        `${size} users warm: isolate heap ${step.heapMb} MB after GC (${step.kbPerAddedUser} KB per added user; warmed in ${warmSec} s); ` +
          `the page cache holds ${step.cachedPages ?? '–'} fragments, ${step.accountedMb ?? '–'} MB accounted`,
      );
      const pool = ctx.users.slice(0, size);
      await ctx.measure(`intro-page over ${size} users @50`, {
        connections: 50,
        durationSec: ctx.durationSec,
        next: randomIntroPages({ ...ctx, users: pool }, size),
        onRaw: (raw) => {
          step.cacheHitRate = raw.cacheSeen > 0 ? round(raw.cacheHits / raw.cacheSeen) : null;
          step.isolateHitRate = raw.cacheSeen > 0 && raw.isolateHits !== undefined ? round(raw.isolateHits / raw.cacheSeen) : null;
        },
      });
      const afterReads = await ctx.isolateHeap(true);
      step.heapAfterReadsMb = afterReads ? round(live(afterReads) / MB) : null;
      ctx.log(
        `${size} users: isolate hit rate ${step.isolateHitRate ?? '–'}, any cache ${step.cacheHitRate ?? '–'}; heap ${step.heapAfterReadsMb ?? '–'} MB after the reads`,
      );
      steps.push(step);
    }
    ctx.extra.heapBeforeWarmMb = round(live(empty) / MB);
    ctx.extra.memorySteps = steps;
    const last = steps.at(-1)!;
    const worst = Math.max(last.heapMb, last.heapAfterReadsMb ?? 0);
    if (last.users < STEPS.at(-1)!) ctx.note(`only ${last.users} users were available; the ${MAX_HEAP_MB} MB check is for ${STEPS.at(-1)}`);
    else if (worst > MAX_HEAP_MB) ctx.fail(`isolate heap ${worst} MB at ${last.users} warm users exceeds ${MAX_HEAP_MB} MB`);
    ctx.note(
      'heap = the Foyer isolate after a forced full GC (an inspector heap snapshot, then Runtime.getHeapUsage): V8 heap plus ArrayBuffer backing stores; locally its Durable Objects share that isolate.',
    );
  },
};
