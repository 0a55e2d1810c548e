/**
 * `npm run load -- <scenario> [--url URL] [--duration s] [--compare report.json] [--var K=V]...`
 *
 * Starts Foyer on the local runtime (or uses `--url`, loopback only), measures the scenario
 * and a hello-world baseline in the same run, prints a table and saves JSON + HTML under
 * load/reports/. Bounded: every phase has a duration, the whole run a deadline (--max-minutes),
 * and everything started here is stopped before exit. Exit code 1 = `--compare` found a regression, or a
 * scenario's own check failed (soak drift, memory budget).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDevVars, localVars, ROOT } from '../scripts/local-config';
import { errorMessage } from '../worker/observability/log';
import { describeRuntimeShare, runtimeShare } from './lib/analysis';
import { FLOOR_PAGE_HOST, FLOOR_WRITE_HOST } from './lib/floor-workers';
import { runHttpPhase } from './lib/http-load';
import { BASELINE_HOST, type LocalRuntime, SPIN_HOST, startLocalRuntime } from './lib/local-runtime';
import { type ProfileSummary, renderProfileSummary } from './lib/profile-summary';
import { type HeapUsage, IsolateHeap, WorkerProfiler } from './lib/profiler';
import { renderComparison, renderHtml, renderTable } from './lib/render';
import {
  BASELINE_PHASE_PREFIX,
  compareReports,
  DEFAULT_TOLERANCE,
  type LoadReport,
  type PhaseReport,
  parseReport,
  phaseReport,
  REPORT_VERSION,
} from './lib/report';
import { LONG_BASELINE_CONNECTIONS, type ScenarioContext } from './lib/scenario';
import { mergeSamples, type PhaseStats, type RawSample, relativeSpread, round, roundNumbers, summarize } from './lib/stats';
import { generatedUserIds, signUsers } from './lib/users';
import { scenarios } from './scenarios';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    duration: { type: 'string' },
    compare: { type: 'string' },
    connections: { type: 'string' },
    path: { type: 'string' },
    admin: { type: 'boolean' },
    users: { type: 'string' },
    sockets: { type: 'string' },
    flags: { type: 'string' },
    var: { type: 'string', multiple: true, default: [] },
    port: { type: 'string', default: '8770' },
    profile: { type: 'boolean' },
    'asset-router': { type: 'boolean' },
    'seed-users': { type: 'string' },
    'state-dir': { type: 'string' },
    'max-minutes': { type: 'string', default: '30' },
    steps: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

const usage = `usage: npm run load -- <scenario> [--url http://127.0.0.1:PORT] [--duration seconds] [--compare load/reports/x.json]
                     [--connections n] [--path /api/v1/...] [--var NAME=value]... [--port 8770] [--seed-users n] [--max-minutes 30]
                     [--profile]  (CPU profile of the worker during each measured phase, next to the report)
                     [--flags n]  (normal/peak: define n feature flags through the admin API before warming)
                     [--steps 200,400,...]  (stress: the concurrency steps; every step runs)
                     [--asset-router]  (keep the local static-assets router emulation in front of Foyer; diagnostic)
scenarios:
${Object.values(scenarios)
  .map((s) => `  ${s.name.padEnd(10)} ${s.description}`)
  .join('\n')}`;

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

const positiveNumber = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name} must be a positive number, got ${raw}`);
  return n;
};

if (values.help) {
  console.log(usage);
  process.exit(0);
}
const scenarioName = positionals[0] ?? 'normal';
const scenario = scenarios[scenarioName];
if (!scenario) fail(`unknown scenario "${scenarioName}"`);
if (positionals.length > 1) fail(`one scenario per run, got ${positionals.join(', ')}`);

const durationSec = positiveNumber('duration', values.duration) ?? scenario.defaultDurationSec;
const port = positiveNumber('port', values.port)!;
const maxMinutes = positiveNumber('max-minutes', values['max-minutes'])!;
const extraVars: Record<string, string> = {};
for (const pair of values.var) {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(pair);
  if (!m) fail(`--var takes NAME=value, got ${pair}`);
  extraVars[m[1]!] = m[2]!;
}
if (values.url) {
  const host = new URL(values.url).hostname;
  // Load goes to loopback only: a load test must never hit a shared or remote server by accident.
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) fail(`--url must point at this machine (127.0.0.1), got ${host}`);
}
let compareWith: LoadReport | undefined;
if (values.compare) {
  try {
    compareWith = parseReport(JSON.parse(readFileSync(resolve(values.compare), 'utf8')), values.compare);
  } catch (err) {
    fail(errorMessage(err));
  }
}

/** Upper bound on concurrent connections in any phase: the generator shares this machine. */
const MAX_CONNECTIONS = 2000;
/** From this concurrency on, the report says what hello world suffers too (lib/analysis.ts runtimeShare). */
const RUNTIME_SHARE_FROM_CONNECTIONS = 200;
const log = (line: string) => console.log(`[load] ${line}`);
// A fresh clone has no .dev.vars yet; like `npm start`, create it so tokens can be signed.
ensureDevVars();
const devVars = localVars();
const seedUsers = Math.max(
  positiveNumber('seed-users', values['seed-users']) ?? Number(process.env.SEED_USERS ?? devVars.SEED_USERS ?? 1000),
  scenario.seedUsers ?? 0,
);

let runtime: LocalRuntime | undefined;
let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await runtime?.dispose().catch(() => {});
  }
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(130));
const deadline = setTimeout(() => {
  console.error(`[load] gave up after --max-minutes ${maxMinutes}: stopping everything.`);
  void stop(3);
}, maxMinutes * 60_000);
deadline.unref();

/**
 * Where the runtime under load keeps D1, KV and Durable Object storage. On Linux, in memory
 * (/dev/shm): every lease a RateLimiter object grants is a SQLite commit, and on this VM's disk
 * those fsyncs stalled the worker's thread (p99 595 ms vs 195 ms on tmpfs, same code, same
 * run length). Production storage is not this disk, so the disk stays out of the figures;
 * `--state-dir .wrangler/load-state` measures with it. Seeded once per boot.
 */
function defaultStateDir(): string {
  return existsSync('/dev/shm') ? '/dev/shm/foyer-load-state' : join(ROOT, '.wrangler/load-state');
}

/** USER_HZ: what /proc/<pid>/stat counts CPU time in on Linux. */
const CLOCK_TICKS_PER_SECOND = 100;

/** A hello-world answer slower than this means the runtime is still busy with earlier work. */
const QUIET_MS = 50;

/** One request to the baseline worker (node:http, since fetch may not set Host). */
function helloOnce(origin: string): Promise<boolean> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const req = request({ hostname, port, path: '/', headers: { host: BASELINE_HOST }, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** A PUT to a floor worker (its setup: load/lib/floor-workers.ts); node:http, since fetch may not set Host. Answers the status. */
function putToYardstick(origin: string, host: string, path: string, body: string): Promise<number> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname, port, path, method: 'PUT', headers: { host, 'content-type': 'application/json' }, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`PUT ${host}${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** undici hides the reason ("fetch failed") in `cause`; show it. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${(err.cause as Error & { code?: string }).code ?? err.cause.message}` : '';
  return `${err.message}${cause}`;
}

function commit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const reportBase = join(resolve(ROOT, 'load/reports'), `${scenario!.name}-${startedAt.replace(/[:.]/g, '-')}`);
  mkdirSync(resolve(ROOT, 'load/reports'), { recursive: true });
  const scenarioVars = { ...scenario!.vars, ...extraVars };
  runtime = await startLocalRuntime({
    port,
    stateDir: resolve(values['state-dir'] ?? defaultStateDir()),
    seedUsers,
    vars: scenarioVars,
    log,
    foyer: !values.url,
    stderrFile: `${reportBase}.workerd.log`,
    ...((values.profile || scenario!.isolateHeap) && !values.url ? { inspectorPort: port + 100 } : {}),
    assetRouter: values['asset-router'] === true,
  });
  // Sampling slows the worker down: a profiled run's ratios are for reading the profile, not for quoting.
  const profiler = values.profile && !values.url ? await WorkerProfiler.attach(port + 100) : null;
  // The isolate's own heap (the soak and memory scenarios): over the profiler's connection when
  // there is one, else a connection that only reads heap figures (no sampling, no slowdown).
  const heap = values.url ? null : (profiler?.heap ?? (scenario!.isolateHeap ? await IsolateHeap.attach(port + 100) : null));
  const profiles: { phase: string; file: string; summary: ProfileSummary }[] = [];
  const url = values.url ? new URL(values.url).origin : runtime.url;
  const vars = values.url ? { ...devVars, ...extraVars } : runtime.vars;

  const poolSize = Math.min(seedUsers, positiveNumber('users', values.users) ?? scenario!.users ?? 1000);
  const [users, [admin]] = await Promise.all([signUsers(generatedUserIds(poolSize), vars), signUsers(['ops'], vars)]);
  log(`signed tokens for ${users.length} users`);

  const phases: PhaseReport[] = [];
  const notes: string[] = [];
  /** Checks a scenario failed (ctx.fail): noted, and the run exits 1 after saving its report. */
  const failedChecks: string[] = [];
  const extra: Record<string, unknown> = {};
  const baselines = new Map<number, PhaseStats>();

  /**
   * Waits until the hello-world worker answers single requests quickly again: work left over
   * from the previous step (abandoned requests, waitUntil tasks, cache fills) runs on the same
   * workerd event loop and would otherwise be charged to whatever is measured next.
   */
  const waitForQuiet = async (maxMs = 30_000): Promise<void> => {
    const started = performance.now();
    let quick = 0;
    while (quick < 5 && performance.now() - started < maxMs) {
      const t = performance.now();
      const ok = await helloOnce(runtime!.url);
      quick = ok && performance.now() - t < QUIET_MS ? quick + 1 : 0;
      if (quick === 0) await new Promise((r) => setTimeout(r, 200));
    }
    const waited = performance.now() - started;
    if (quick < 5) log(`the runtime did not settle within ${maxMs / 1000} s; measuring anyway`);
    else if (waited > 2000) log(`waited ${(waited / 1000).toFixed(1)} s for the runtime to settle`);
  };

  /** utime + stime of the workerd process in ms (Linux /proc); null when unknown. */
  const workerdCpuMs = (): number | null => {
    const pid = values.url ? null : runtime!.workerdPid();
    if (pid === null) return null;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of stat(5) (utime, stime), counted after the command name; in clock ticks (100 Hz on Linux).
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
    } catch {
      return null;
    }
  };
  const cpuSince = (start: number | null): number | null => {
    const end = workerdCpuMs();
    return start === null || end === null ? null : end - start;
  };

  const sampleBaseline = async (connections: number, seconds: number): Promise<RawSample> => {
    log(`baseline: hello world @${connections} for ${seconds} s`);
    return runHttpPhase({ url: runtime!.url, host: BASELINE_HOST, connections, durationSec: seconds, next: () => ({ path: '/' }) });
  };
  /** One baseline per concurrency, for phases a scenario measures itself (feed writes). */
  const baselineAt = async (connections: number, seconds: number): Promise<PhaseStats> => {
    const cached = baselines.get(connections);
    if (cached) return cached;
    await waitForQuiet();
    const stats = summarize(await sampleBaseline(connections, seconds));
    baselines.set(connections, stats);
    return stats;
  };

  const ctx: ScenarioContext = {
    url,
    setUpFloor: (target, path, body) =>
      putToYardstick(runtime!.url, target === 'floor-page' ? FLOOR_PAGE_HOST : FLOOR_WRITE_HOST, path, body),
    users,
    admin: admin!,
    durationSec,
    options: {
      connections: values.connections,
      path: values.path,
      admin: values.admin ? 'true' : undefined,
      sockets: values.sockets,
      flags: values.flags,
      steps: values.steps,
    },
    log,
    note: (text) => notes.push(text),
    fail: (text) => {
      failedChecks.push(text);
      notes.push(`FAILED: ${text}`);
    },
    extra,
    baselineAt: (connections, seconds) => baselineAt(connections, Math.min(seconds, 10)),
    record: (phase) => phases.push(phase),
    async measure(name, o) {
      if (!(Number.isInteger(o.connections) && o.connections >= 1 && o.connections <= MAX_CONNECTIONS)) {
        throw new Error(`${name}: connections must be a whole number from 1 to ${MAX_CONNECTIONS}, got ${o.connections}`);
      }
      // The baseline brackets the phase (half before, half after): on a shared machine the
      // load from other processes drifts, and the two halves show by how much (baselineSpread).
      const half = Math.min(o.durationSec, 10) / 2;
      // At high concurrency the local runtime leaves some connections unserved for seconds, hello
      // world's too, so a request's chance to pass the client's 10 s timeout grows with how long
      // the phase runs: a 5 s half can never lose one. There, the half before runs as long as the
      // phase, so hello world's losses are counted over the same exposure as Foyer's.
      const beforeSec = o.connections >= LONG_BASELINE_CONNECTIONS && o.durationSec > half * 2 ? o.durationSec : half;
      await waitForQuiet();
      const baselineCpu = workerdCpuMs();
      const before = o.baseline === false ? null : await sampleBaseline(o.connections, beforeSec);
      const baselineCpuMs = cpuSince(baselineCpu);
      log(`${name}: ${o.connections} connections for ${o.durationSec} s`);
      const yardstickHost = { baseline: BASELINE_HOST, spin: SPIN_HOST, 'floor-page': FLOOR_PAGE_HOST, 'floor-write': FLOOR_WRITE_HOST };
      const target = o.target && o.target !== 'foyer' ? { url: runtime!.url, host: yardstickHost[o.target] } : { url };
      const profiled = profiler && (o.target ?? 'foyer') === 'foyer';
      if (profiled) await profiler.start();
      const phaseCpu = workerdCpuMs();
      const raw = await runHttpPhase({
        ...target,
        connections: o.connections,
        durationSec: o.durationSec,
        next: o.next,
        ...(o.progress ? { progress: o.progress } : {}),
      });
      const phaseCpuMs = cpuSince(phaseCpu);
      if (profiled) {
        const file = `${reportBase}.${name.replace(/[^A-Za-z0-9]+/g, '-')}.cpuprofile`;
        const summary = await profiler.stop(file);
        profiles.push({ phase: name, file: relative(ROOT, file), summary });
        log(renderProfileSummary(`profile of "${name}" (${relative(ROOT, file)})`, summary));
      }
      o.onRaw?.(raw);
      if (!runtime!.alive()) {
        const message = `workerd exited during "${name}": later requests were refused. Its stderr is in ${relative(ROOT, `${reportBase}.workerd.log`)}.`;
        log(message);
        notes.push(message);
      }
      let after: RawSample | null = null;
      if (before) {
        // autocannon abandons the requests still in flight when the phase ends, but workerd
        // finishes them, on the same event loop as the baseline worker: let them drain first.
        await waitForQuiet();
        after = await sampleBaseline(o.connections, half);
      }
      const stats = summarize(raw);
      const baseline = before && after ? summarize(mergeSamples(before, after)) : null;
      const spread = before && after ? relativeSpread(summarize(before).rps, summarize(after).rps) : null;
      const phase = phaseReport(name, o.connections, o.durationSec, stats, o.target === 'baseline' ? stats : baseline, spread);
      const perRequest = (ms: number | null, sample: RawSample | null) =>
        ms === null || !sample?.latenciesMs.length ? null : Math.round((ms / sample.latenciesMs.length) * 1000) / 1000;
      phase.cpuMsPerRequest = { phase: perRequest(phaseCpuMs, raw), baseline: perRequest(baselineCpuMs, before) };
      phases.push(phase);
      log(
        `${name}: ${round(stats.rps)} rps, p50 ${round(stats.latencyMs.p50)} ms, p99 ${round(stats.latencyMs.p99)} ms, ${stats.errors + stats.non2xx} failed${stats.errorKinds ? ` ${JSON.stringify(stats.errorKinds)}` : ''}` +
          (before && after ? `; baseline ${round(summarize(before).rps)} rps before, ${round(summarize(after).rps)} after` : '') +
          (phase.cpuMsPerRequest.phase !== null
            ? `; workerd CPU ${phase.cpuMsPerRequest.phase} ms/request (baseline ${phase.cpuMsPerRequest.baseline ?? '–'})`
            : ''),
      );
      return phase;
    },
    async warm(specs, concurrency = 16, budgetSec = 45) {
      let ok = 0;
      let failed = 0;
      const failures: Record<string, number> = {};
      let i = 0;
      const until = performance.now() + budgetSec * 1000;
      const worker = async () => {
        while (i < specs.length && performance.now() < until) {
          const spec = specs[i++]!;
          let outcome: string;
          try {
            const res = await fetch(url + spec.path, { method: spec.method ?? 'GET', headers: spec.headers, body: spec.body });
            await res.arrayBuffer();
            outcome = res.ok ? 'ok' : `HTTP ${res.status}`;
          } catch (err) {
            outcome = describeError(err);
          }
          if (outcome === 'ok') ok++;
          else {
            failed++;
            failures[outcome] = (failures[outcome] ?? 0) + 1;
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      if (ok + failed < specs.length) notes.push(`warm-up stopped after ${budgetSec} s: ${ok + failed} of ${specs.length} paths visited.`);
      if (failed > 0) notes.push(`warm-up failures: ${JSON.stringify(failures)}`);
      return { ok, failed };
    },
    async setVars(next) {
      if (values.url) throw new Error('this scenario restarts the worker with other variables; it needs the local runtime (drop --url)');
      await runtime!.setVars({ ...scenarioVars, ...next });
    },
    async isolateHeap(afterGc = false): Promise<HeapUsage | null> {
      if (!heap) return null;
      try {
        return afterGc ? await heap.afterGc() : await heap.usage();
      } catch (err) {
        log(`could not read the isolate heap: ${errorMessage(err)}`);
        return null;
      }
    },
    workerdRssMb() {
      const pid = values.url ? null : runtime!.workerdPid();
      if (pid === null) return null;
      try {
        const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        return m ? Number(m[1]) / 1024 : null;
      } catch {
        return null;
      }
    },
  };

  if (values.url)
    notes.push(
      `target given by --url; the baseline ran on this machine's Miniflare/workerd at ${runtime.url}, so ratios compare two runtimes.`,
    );
  notes.push(
    `machine: ${cpus().length} CPUs shared with other processes; load average at start ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}.`,
  );
  if (values['asset-router'] && !values.url)
    notes.push(
      '--asset-router: Foyer ran behind the local static-assets router emulation (two extra JS workers per request) and the baseline did not; ratios include that router.',
    );
  log(`scenario ${scenario!.name}: ${scenario!.description}`);
  await scenario!.run(ctx);
  profiler?.close();
  if (heap && !profiler) heap.close();
  // At high concurrency, say what the runtime itself accounts for (measured, same run).
  for (const phase of phases) {
    if (phase.connections < RUNTIME_SHARE_FROM_CONNECTIONS || phase.name.startsWith(BASELINE_PHASE_PREFIX)) continue;
    const share = runtimeShare(phase);
    if (share) notes.push(describeRuntimeShare(share));
    for (const [wait, what] of [
      [phase.stats.coordWait, 'the purge state (Server-Timing coord'],
      [phase.stats.rateLimitWait, 'the rate limiter (Server-Timing ratelimit'],
    ] as const) {
      if (wait)
        notes.push(
          `${phase.name}: ${wait.waited} of ${wait.seen} requests waited on ${what} ≥ 1 ms)` +
            (wait.p99 !== null ? `, p50 ${round(wait.p50 ?? 0)} ms, p99 ${round(wait.p99)} ms, max ${round(wait.max ?? 0)} ms.` : '.'),
        );
    }
  }
  if (profiles.length) {
    extra.profiles = profiles;
    notes.push("profiled run (--profile): the inspector samples the worker, so its ratios are lower than an unprofiled run's.");
  }

  const report: LoadReport = {
    version: REPORT_VERSION,
    scenario: scenario!.name,
    description: scenario!.description,
    startedAt,
    finishedAt: new Date().toISOString(),
    target: {
      kind: values.url ? 'url' : 'miniflare',
      url,
      runtime: values.url ? 'external server (--url)' : runtime.runtime,
      seedUsers: values.url ? null : seedUsers,
      vars: scenarioVars,
    },
    machine: {
      cpus: cpus().length,
      loadAvg: loadavg(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      commit: commit(),
    },
    phases,
    extra,
    notes,
  };

  let comparisonText: string | undefined;
  let regressed = false;
  if (compareWith) {
    const comparison = compareReports(compareWith, report, DEFAULT_TOLERANCE);
    comparisonText = renderComparison(comparison, DEFAULT_TOLERANCE);
    regressed = comparison.regressions.length > 0;
  }

  const base = reportBase;
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.html`, renderHtml(report, comparisonText ? { text: comparisonText } : undefined));

  console.log(`\n${renderTable(report)}\n`);
  for (const n of notes) console.log(`note: ${n}`);
  if (Object.keys(extra).length)
    console.log(
      `\n${JSON.stringify(extra, (k, v) => (Array.isArray(v) && v.length > 12 ? `[${v.length} points: see the report]` : roundNumbers(k, v)), 2)}`,
    );
  if (comparisonText) console.log(`\n${comparisonText}`);
  console.log(`\nsaved ${relative(ROOT, `${base}.json`)} and ${relative(ROOT, `${base}.html`)}`);
  for (const f of failedChecks) console.log(`[load] FAILED: ${f}`);
  await stop(regressed || failedChecks.length > 0 ? 1 : 0);
}

main().catch(async (err: unknown) => {
  console.error(`[load] ${describeError(err)}`);
  await stop(1);
});
