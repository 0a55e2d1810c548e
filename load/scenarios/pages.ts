/**
 * Read scenarios: the hello-world baseline alone, warm intro pages of many distinct users at
 * normal and peak concurrency, and one route of your choice.
 */

import { spinRoundsToMatch } from '../lib/analysis';
import type { RequestSpec } from '../lib/http-load';
import type { PhaseReport } from '../lib/report';
import { BASELINE_PHASE_PREFIX } from '../lib/report';
import { intOption, introPage, LONG_BASELINE_CONNECTIONS, type Scenario, type ScenarioContext } from '../lib/scenario';
import { type LoadUser, prng } from '../lib/users';

/** Requests spread over the whole user pool in a repeatable random order. */
export function randomIntroPages(ctx: ScenarioContext, seed = 1): () => RequestSpec {
  const random = prng(seed);
  return () => introPage(ctx.users[Math.floor(random() * ctx.users.length)]!);
}

/** The admin warm route takes at most this many users per call (worker/routes/admin-cache.ts). */
const ADMIN_WARM_BATCH = 100;

/**
 * Fills the server-side cache the way an operator would (`POST /api/v1/admin/cache/warm`, 100
 * users a call); null when this build has no such route. Much cheaper than reading every page.
 */
async function warmThroughAdmin(ctx: ScenarioContext, users: LoadUser[]): Promise<{ warmed: number; failed: number } | null> {
  let warmed = 0;
  let failed = 0;
  for (let i = 0; i < users.length; i += ADMIN_WARM_BATCH) {
    const userIds = users.slice(i, i + ADMIN_WARM_BATCH).map((u) => u.id);
    const res = await fetch(`${ctx.url}/api/v1/admin/cache/warm`, {
      method: 'POST',
      headers: { authorization: ctx.admin.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ userIds }),
    }).catch(() => null);
    if (res?.status === 404 && i === 0) return null;
    const body = res ? ((await res.json().catch(() => null)) as { warmed?: unknown[] } | null) : null;
    const count = res?.ok ? (body?.warmed?.length ?? 0) : 0;
    warmed += count;
    failed += userIds.length - count;
  }
  return { warmed, failed };
}

/** Warms `users` (default all the scenario's users); `budgetSec` bounds the page reads (ctx.warm). */
export async function warmIntroPages(ctx: ScenarioContext, users: LoadUser[] = ctx.users, budgetSec?: number): Promise<void> {
  const started = performance.now();
  const admin = await warmThroughAdmin(ctx, users);
  if (admin) {
    ctx.log(
      `warmed ${admin.warmed} users' cache through the admin route (${admin.failed} not) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    if (admin.failed > 0) ctx.note(`warm-up: the admin warm route did not warm ${admin.failed} of ${users.length} users`);
  }
  // Reading every page also fills the per-isolate layer (and is the only way without the route).
  const { ok, failed } = await ctx.warm(users.map(introPage), undefined, budgetSec);
  ctx.log(`read ${ok} intro pages (${failed} failed) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (failed > 0) ctx.note(`warm-up: ${failed} of ${ok + failed} intro pages failed before measuring`);
}

/**
 * `--flags n`: n feature flags, each enabled at a different rollout with short allow/deny lists,
 * so every page evaluates n flags (what evaluation costs: docs/performance.md).
 */
async function defineFlags(ctx: ScenarioContext): Promise<void> {
  const count = Number(ctx.options.flags ?? 0);
  for (let i = 0; i < count; i++) {
    const body = { description: `load flag ${i}`, enabled: true, rollout: (i * 23) % 101, allow: ['alice'], deny: ['bob'] };
    const res = await fetch(`${ctx.url}/api/v1/admin/flags/load-flag-${i}`, {
      method: 'PUT',
      headers: { authorization: ctx.admin.auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`defining load-flag-${i} answered ${res.status}: ${await res.text()}`);
  }
  if (count > 0) {
    ctx.log(`defined ${count} feature flags`);
    ctx.note(`${count} feature flags defined (each page evaluates them)`);
  }
}

const introPagePhase = (name: string, defaultConnections: number, description: string): Scenario => ({
  name,
  description,
  defaultDurationSec: 20,
  users: 1000,
  async run(ctx) {
    await defineFlags(ctx);
    await warmIntroPages(ctx);
    const connections = intOption(ctx, 'connections', defaultConnections);
    const phase = await ctx.measure(`intro-page warm @${connections}`, {
      connections,
      durationSec: ctx.durationSec,
      next: randomIntroPages(ctx),
    });
    if (connections >= LONG_BASELINE_CONNECTIONS) await cpuMatchedControl(ctx, phase);
  },
});

/** Rounds of the spin worker's loop used to calibrate it (a few tenths of a millisecond). */
const CALIBRATION_ROUNDS = 200_000;

/**
 * Hello world made as expensive as Foyer's page in CPU (measured per request in the phase just
 * run), at the same concurrency and for as long: if it loses requests and grows a tail like
 * Foyer's, those come with the CPU per request on this runtime, not with anything Foyer's code
 * awaits or shares. The spin loop is calibrated at the same concurrency first.
 */
async function cpuMatchedControl(ctx: ScenarioContext, phase: PhaseReport): Promise<void> {
  const foyerCpu = phase.cpuMsPerRequest?.phase;
  const helloCpu = phase.cpuMsPerRequest?.baseline;
  if (!foyerCpu || !helloCpu || foyerCpu <= helloCpu) {
    ctx.note('CPU-matched control skipped: no workerd CPU figures for the phase (or Foyer cost no more than hello world).');
    return;
  }
  const connections = phase.connections;
  const calibration = await ctx.measure(`hello world + spin calibration @${connections}`, {
    connections,
    durationSec: 4,
    next: () => ({ path: `/spin/${CALIBRATION_ROUNDS}` }),
    target: 'spin',
    baseline: false,
  });
  const rounds = spinRoundsToMatch(foyerCpu, helloCpu, calibration.cpuMsPerRequest?.phase, CALIBRATION_ROUNDS);
  if (rounds === null) {
    ctx.note('CPU-matched control skipped: the spin calibration cost no CPU above hello world.');
    return;
  }
  const control = await ctx.measure(`hello world at Foyer's CPU @${connections}`, {
    connections,
    durationSec: phase.durationSec,
    next: () => ({ path: `/spin/${rounds}` }),
    target: 'spin',
    baseline: false,
  });
  ctx.extra.cpuMatched = {
    rounds,
    cpuMsPerRequest: { foyer: foyerCpu, helloWorld: helloCpu, control: control.cpuMsPerRequest?.phase ?? null },
    lost: { foyer: phase.stats.errors, helloWorld: phase.baseline?.errors ?? null, control: control.stats.errors },
    rps: { foyer: phase.stats.rps, helloWorld: phase.baseline?.rps ?? null, control: control.stats.rps },
    p99Ms: { foyer: phase.stats.latencyMs.p99, helloWorld: phase.baseline?.latencyMs.p99 ?? null, control: control.stats.latencyMs.p99 },
  };
  ctx.note(
    `CPU-matched control @${connections}: hello world spinning to ${control.cpuMsPerRequest?.phase ?? '?'} ms of workerd CPU per request ` +
      `(Foyer ${foyerCpu}, plain hello world ${helloCpu}), no I/O, ${phase.durationSec} s: ${Math.round(control.stats.rps)} rps, ` +
      `p99 ${Math.round(control.stats.latencyMs.p99)} ms, lost ${control.stats.errors} requests; Foyer ${Math.round(phase.stats.rps)} rps, ` +
      `p99 ${Math.round(phase.stats.latencyMs.p99)} ms, lost ${phase.stats.errors}. What the control loses too comes with the CPU per request on this runtime.`,
  );
}

export const baseline: Scenario = {
  name: 'baseline',
  description: 'A hello-world worker on the same Miniflare/workerd runtime: the yardstick every other figure is divided by.',
  defaultDurationSec: 10,
  users: 1,
  async run(ctx) {
    const connections = intOption(ctx, 'connections', 50);
    await ctx.measure(`${BASELINE_PHASE_PREFIX}${connections}`, {
      connections,
      durationSec: ctx.durationSec,
      next: () => ({ path: '/' }),
      target: 'baseline',
      baseline: false,
    });
  },
};

export const normal = introPagePhase(
  'normal',
  50,
  '50 concurrent users reading warm intro pages of 1000 distinct users (real tokens), each request a random user.',
);

export const peak = introPagePhase(
  'peak',
  200,
  '200 concurrent users (override with --connections) reading warm intro pages of 1000 distinct users.',
);

export const page: Scenario = {
  name: 'page',
  description:
    'One route under load: --path (default the intro page; `{user}` is replaced by a random user id), --connections (default 50). Requests carry that user’s token; --admin sends the ops token.',
  defaultDurationSec: 15,
  users: 1000,
  async run(ctx) {
    const path = ctx.options.path ?? '/api/v1/intro-page/{user}';
    if (!path.startsWith('/')) throw new Error(`--path must start with "/", got ${path}`);
    const connections = intOption(ctx, 'connections', 50);
    const random = prng(7);
    const next = (): RequestSpec => {
      const user = ctx.options.admin !== undefined ? ctx.admin : ctx.users[Math.floor(random() * ctx.users.length)]!;
      return { path: path.replaceAll('{user}', user.id), headers: { authorization: user.auth } };
    };
    if (path.includes('{user}'))
      await ctx.warm(ctx.users.map((u) => ({ path: path.replaceAll('{user}', u.id), headers: { authorization: u.auth } })));
    await ctx.measure(`${path} @${connections}`, { connections, durationSec: ctx.durationSec, next });
  },
};
