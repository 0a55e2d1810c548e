/**
 * The worker under test on the local runtime, without wrangler's dev proxy: the bundle that
 * `wrangler deploy --dry-run` would upload, served by Miniflare (workerd listens on the port
 * itself, no Node hop), with the bindings wrangler derives from wrangler.toml + .dev.vars.
 * The hello-world baseline runs as a second worker in the same workerd process, behind the
 * same entry worker, chosen by Host header: the two differ only in what the worker does.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import {
  convertV4MiniflareOptions,
  Log,
  LogLevel,
  Miniflare,
  type V4MiniflareOptions,
  type V4WorkerOptions as WorkerOptions,
} from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { generatedUserData, generateSeed, type SeedData } from '../../drizzle/seed/demo-data';
import { seedStatements } from '../../drizzle/seed/statements';
import { buildWeb } from '../../scripts/build-web';
import { ROOT } from '../../scripts/local-config';
import { applyMigrations } from '../../scripts/local-db';
import { FLOOR_PAGE_HOST, FLOOR_PAGE_SCRIPT, FLOOR_WRITE_HOST, FLOOR_WRITE_SCRIPT } from './floor-workers';

const run = promisify(execFile);

/** Requests with this Host reach the hello-world worker; anything else reaches Foyer. */
export const BASELINE_HOST = 'baseline.load.localhost';
const BASELINE_SCRIPT = `export default { fetch() { return new Response('Hello World!', { headers: { 'content-type': 'text/plain' } }); } };`;

/**
 * Requests with this Host reach hello world made slower by pure CPU: `/spin/<n>` runs n rounds of
 * integer arithmetic before the same answer. A control for high-concurrency phases: hello world
 * at Foyer's CPU per request, with no I/O, no await and no shared state, so whatever it suffers
 * at that concurrency is the runtime's and the machine's, not anything Foyer's code does.
 */
export const SPIN_HOST = 'spin.load.localhost';
const SPIN_SCRIPT = `export default { fetch(request) {
  const rounds = Number(request.url.slice(request.url.lastIndexOf('/') + 1)) || 0;
  let x = 1;
  for (let i = 0; i < rounds; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  return new Response(x === 42 ? 'Hello World?' : 'Hello World!', { headers: { 'content-type': 'text/plain' } });
} };`;

export interface LocalRuntimeOptions {
  port: number;
  stateDir: string;
  seedUsers: number;
  /** Variables layered over wrangler.toml [vars] and .dev.vars (scenario needs, `--var`). */
  vars: Record<string, string>;
  log: (line: string) => void;
  /** workerd's stderr (crashes, uncaught errors, console.error) is appended here. */
  stderrFile?: string;
  /** false: only the baseline (to pair with a server given by `--url`); nothing is bundled or seeded. */
  foyer?: boolean;
  /** Opens workerd's V8 inspector on this port (for `--profile`); off when absent. */
  inspectorPort?: number;
  /**
   * true: keep Miniflare's emulation of the Workers Static Assets router in front of Foyer (a
   * diagnostic: the baseline, chosen by route, has none, so ratios then include the router's
   * cost on Foyer's side only). false (default): requests reach each worker
   * directly, as the platform routes `run_worker_first` paths in production, and the ASSETS
   * binding is served by a small worker holding dist/ (see `assetServer`).
   */
  assetRouter?: boolean;
  /**
   * false: serve the D1 state in stateDir as it is, with no migrations and no seed (the
   * disaster-recovery drill starts the worker on a restored database). Default true.
   */
  prepareD1?: boolean;
}

/**
 * Locally, [assets] puts two extra JavaScript workers (router and asset server) in front of the
 * user worker for every request, even for `run_worker_first` paths. On the platform that
 * routing is done before the worker runs and is not the worker's CPU; here it costs about
 * 1 ms of workerd CPU per request, three times a whole hello-world request, so it would be
 * charged to Foyer but not to the baseline. Without it, the ASSETS binding (which the page
 * reads its asset manifest through) is this worker, serving the same dist/ files.
 */
function assetServer(directory: string): string {
  const files: Record<string, { body: string; type: string }> = {};
  const types: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = `${prefix}/${entry.name}`;
      if (entry.isDirectory()) walk(join(dir, entry.name), path);
      else {
        const type = types[entry.name.slice(entry.name.lastIndexOf('.'))];
        if (type) files[path] = { body: readFileSync(join(dir, entry.name), 'utf8'), type };
      }
    }
  };
  walk(directory, '');
  return `const FILES = ${JSON.stringify(files)};
export default {
  fetch(request) {
    const file = FILES[new URL(request.url).pathname];
    return file ? new Response(file.body, { headers: { 'content-type': file.type } }) : new Response('Not found', { status: 404 });
  },
};`;
}

export interface LocalRuntime {
  url: string;
  vars: Record<string, string>;
  runtime: string;
  /** The workerd process, for memory sampling; null if it could not be found. */
  workerdPid(): number | null;
  /** False once the workerd process that served the run has exited (crashed or killed). */
  alive(): boolean;
  /** Restarts the worker with other variables, keeping the persisted state. */
  setVars(vars: Record<string, string>): Promise<void>;
  dispose(): Promise<void>;
}

async function bundle(log: (line: string) => void): Promise<{ dir: string; main: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'foyer-load-'));
  const started = performance.now();
  // [assets] in wrangler.toml points at dist/: the page's assets must exist before bundling.
  await buildWeb({ ifStale: true, quiet: true });
  await run(process.execPath, [resolve(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', dir], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`wrangler deploy --dry-run failed; run it yourself to see why.\n${err.stderr ?? err.message}`);
  });
  const main = readdirSync(dir).find((f) => f.endsWith('.js'));
  if (!main) throw new Error(`wrangler deploy --dry-run wrote no .js file into ${dir}`);
  log(`bundled the worker in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { dir, main: join(dir, main) };
}

/**
 * The project's seed through the D1 binding. Generated users are inserted once per state dir
 * (about 80 000 rows; a re-run would only skip them row by row); the named demo users and the
 * announcements are re-anchored to now on every run, as `npm run seed` does.
 */
async function seed(db: D1Database, seedUsers: number, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  const present = await generatedUsersPresent(db);
  const data = generateSeed({ now: Date.now(), seedUsers: present >= seedUsers ? 0 : seedUsers });
  const statements = seedStatements(data);
  // Miniflare 5 closes the socket of a D1 batch from Node whose request body runs to a few hundred
  // KB ("fetch failed: UND_ERR_SOCKET"), so the seed goes in batches of 50 statements.
  for (let i = 0; i < statements.length; i += 50) {
    await db.batch(statements.slice(i, i + 50).map((s) => db.prepare(s.sql).bind(...s.params)));
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (present >= seedUsers) log(`${present} generated users already seeded; re-anchored the demo users in ${seconds} s`);
  else log(`seeded ${data.users.length} users, ${data.tasks.length} tasks, ${data.events.length} events in ${seconds} s`);
}

async function generatedUsersPresent(db: D1Database): Promise<number> {
  const row = await db.prepare("SELECT count(*) AS n FROM users WHERE id LIKE 'user-%'").first<{ n: number }>();
  return row?.n ?? 0;
}

/** More missing generated users than this are written straight into the D1 file (seedFileDirectly). */
const DIRECT_SEED_ABOVE = 2000;

/**
 * Generated users `present + 1 … seedUsers` written into the local D1 database's SQLite file with
 * node:sqlite, in one transaction per 1000 users, while workerd is stopped: about 80 rows a user,
 * so 20 000 users are 1.6 M rows, which through Miniflare's D1 binding (batches of 50 statements,
 * see `seed`) took minutes and here take seconds. Same rows, same statements as `seed`.
 */
function seedFileDirectly(stateDir: string, present: number, seedUsers: number, log: (line: string) => void): void {
  const started = performance.now();
  const dir = join(stateDir, 'd1', 'miniflare-D1DatabaseObject');
  const file = readdirSync(dir).find((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
  if (!file) throw new Error(`no D1 database file under ${dir}`);
  const db = new DatabaseSync(join(dir, file));
  const now = Date.now();
  let rows = 0;
  try {
    for (let from = present + 1; from <= seedUsers; from += 1000) {
      const data: SeedData = { users: [], tasks: [], events: [], preferences: [], announcements: [] };
      for (let i = from; i < Math.min(from + 1000, seedUsers + 1); i++) {
        const g = generatedUserData(i, now);
        data.users.push(...g.users);
        data.tasks.push(...g.tasks);
        data.events.push(...g.events);
      }
      db.exec('BEGIN');
      for (const s of seedStatements(data, LOCAL_SQLITE_PARAMS)) db.prepare(s.sql).run(...s.params);
      db.exec('COMMIT');
      rows += data.users.length + data.tasks.length + data.events.length;
    }
  } finally {
    db.close();
  }
  log(`seeded ${seedUsers - present} users (${rows} rows) into ${file} directly in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Bound parameters per statement for the direct seed: SQLite allows 32 766; D1's limit of 100 does not apply to the file. */
const LOCAL_SQLITE_PARAMS = 10_000;

/** Finds the workerd child that Miniflare spawned (Linux /proc); null elsewhere. */
function findWorkerdPid(): number | null {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm === 'workerd' && ppid === process.pid) return Number(entry);
    }
  } catch {
    // Not Linux, or /proc is not readable: memory figures are simply left out.
  }
  return null;
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const { log } = options;
  const withFoyer = options.foyer !== false;
  const built = withFoyer ? await bundle(log) : null;
  // wrangler still describes a worker in miniflare 4's option shape (V4WorkerOptions, re-declared
  // in its own bundle); miniflare 5 takes that shape through convertV4MiniflareOptions.
  const fromWrangler = unstable_getMiniflareWorkerOptions(resolve(ROOT, 'wrangler.toml')) as unknown as {
    workerOptions: WorkerOptions;
  };
  const baseVars = (fromWrangler.workerOptions.bindings ?? {}) as Record<string, string>;
  const workerd = JSON.parse(readFileSync(resolve(ROOT, 'node_modules/workerd/package.json'), 'utf8')) as { version: string };

  const { assets, ...foyerOptions } = fromWrangler.workerOptions;
  const keepRouter = options.assetRouter === true && assets !== undefined;
  const staticFiles =
    !keepRouter && assets?.directory
      ? {
          name: 'foyer-assets',
          modules: true,
          script: assetServer(assets.directory),
          compatibilityDate: fromWrangler.workerOptions.compatibilityDate,
        }
      : null;

  const makeOptions = (vars: Record<string, string>) => {
    const foyer =
      built &&
      ({
        ...foyerOptions,
        ...(keepRouter
          ? { assets }
          : staticFiles
            ? { serviceBindings: { ...foyerOptions.serviceBindings, [assets?.binding ?? 'ASSETS']: staticFiles.name } }
            : {}),
        name: 'foyer',
        // Module names are paths relative to this root; workerd refuses names that climb out with "..".
        modulesRoot: built.dir,
        modules: [{ type: 'ESModule', path: built.main, contents: readFileSync(built.main) }],
        bindings: { ...baseVars, ...vars },
      } as WorkerOptions);
    // The yardsticks: one-module workers on the same runtime and compatibility date as Foyer.
    const yardstick = (name: string, script: string, host: string): WorkerOptions => ({
      name,
      modules: true,
      script,
      compatibilityDate: fromWrangler.workerOptions.compatibilityDate,
      routes: [`${host}/*`],
    });
    const baseline = yardstick('baseline', BASELINE_SCRIPT, BASELINE_HOST);
    const spin = yardstick('baseline-spin', SPIN_SCRIPT, SPIN_HOST);
    const floorPage = yardstick('floor-page', FLOOR_PAGE_SCRIPT, FLOOR_PAGE_HOST);
    // Its own database, object and queue, persisted beside Foyer's state but never shared with it.
    const floorWrite: WorkerOptions = {
      ...yardstick('floor-write', FLOOR_WRITE_SCRIPT, FLOOR_WRITE_HOST),
      d1Databases: { DB: 'floor-write-db' },
      durableObjects: { FEED: { className: 'FloorFeed', useSQLite: true } },
      queueProducers: { QUEUE: 'floor-write-queue' },
      queueConsumers: { 'floor-write-queue': { maxBatchSize: 25, maxBatchTimeout: 1 } },
    };
    const yardsticks = [baseline, spin, floorPage, floorWrite];
    return {
      host: '127.0.0.1',
      port: options.port,
      // Request logging goes through Node for every request: it would measure Node, not the worker.
      logRequests: false,
      log: new Log(LogLevel.WARN),
      liveReload: false,
      telemetry: { enabled: false },
      // Miniflare 5's one persistence root (miniflare 4's defaultPersistRoot is no longer read).
      resourcePersistencePath: options.stateDir,
      // Worker console output (one JSON line per request) is drained, not printed. Miniflare 5 reads
      // workerd's structured logs itself and, by default, prints every line from this process, the
      // one that also drives the load: ~1,500 lines a second taken from the load generator's CPU in
      // Foyer's phases only (hello world logs nothing), which lowered every measured ratio.
      // Warnings and errors are kept (the last few, and in the .workerd.log file) to explain failures;
      // 4xx request lines (warn) only in the tail, as a limited scenario makes thousands of them.
      handleStructuredLogs({ level, message }: { level: string; message: string }) {
        if (level !== 'error' && level !== 'warn') return;
        stderrTail.push(`${message}\n`);
        if (stderrTail.length > 20) stderrTail.shift();
        if (options.stderrFile && (level === 'error' || !message.includes('"msg":"request"'))) {
          appendFileSync(options.stderrFile, `${message}\n`);
        }
      },
      handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
        stdout.resume();
        stderr.on('data', (chunk: Buffer) => {
          stderrTail.push(chunk.toString());
          if (stderrTail.length > 20) stderrTail.shift();
          if (options.stderrFile) appendFileSync(options.stderrFile, chunk);
        });
      },
      // The placeholder `cf` object is enough; fetching the real one needs the internet.
      cf: false,
      ...(options.inspectorPort ? { inspectorPort: options.inspectorPort } : {}),
      workers: foyer ? [foyer, ...yardsticks, ...(staticFiles ? [staticFiles] : [])] : yardsticks,
    };
  };

  const stderrTail: string[] = [];
  let vars = { ...options.vars };
  const started = performance.now();
  let mf = new Miniflare(convertV4MiniflareOptions(makeOptions(vars) as V4MiniflareOptions));
  try {
    let url = await mf.ready;
    log(
      `workerd ${workerd.version} ready at ${url.origin} in ${((performance.now() - started) / 1000).toFixed(1)} s (state in ${options.stateDir})`,
    );
    if (withFoyer && options.prepareD1 !== false) {
      // Miniflare reaches D1 from Node over a local socket that, right after start-up on a busy
      // machine, is sometimes reset (undici: "fetch failed: read ECONNRESET"); both steps are
      // idempotent, so they are simply tried again.
      for (let attempt = 1; ; attempt++) {
        try {
          const db = (await mf.getD1Database('DB', 'foyer')) as unknown as D1Database;
          for (const file of await applyMigrations(db)) log(`applied migration ${file}`);
          const present = await generatedUsersPresent(db);
          if (options.seedUsers - present > DIRECT_SEED_ABOVE) {
            // Thousands of users through the binding take minutes (batches of 50): write them
            // into the database file itself while workerd is stopped, then start it again.
            await mf.dispose();
            seedFileDirectly(options.stateDir, present, options.seedUsers, log);
            mf = new Miniflare(convertV4MiniflareOptions(makeOptions(vars) as V4MiniflareOptions));
            url = await mf.ready;
            continue;
          }
          await seed(db, options.seedUsers, log);
          break;
        } catch (err) {
          const cause = (err as { cause?: { code?: string; message?: string } }).cause;
          const code = `${cause?.code ?? ''} ${cause?.message ?? ''}`.trim();
          if (attempt >= 3 || !/ECONNRESET|UND_ERR_SOCKET|ECONNREFUSED/.test(code)) throw err;
          log(`preparing D1 failed (${code}); trying again (${attempt + 1}/3)`);
          await new Promise((r) => setTimeout(r, 1000 * attempt));
        }
      }
    }
    let pid = findWorkerdPid();
    return {
      url: url.origin.replace('localhost', '127.0.0.1'),
      get vars() {
        return { ...baseVars, ...vars };
      },
      runtime: `workerd ${workerd.version} via miniflare (no dev proxy${keepRouter ? '; static-assets router emulated in front of Foyer only' : ', no static-assets router'})`,
      workerdPid: () => pid,
      alive: () => pid === null || existsSync(`/proc/${pid}`),
      async setVars(next) {
        vars = { ...options.vars, ...next };
        await mf.setOptions(convertV4MiniflareOptions(makeOptions(vars) as V4MiniflareOptions));
        await mf.ready;
        pid = findWorkerdPid();
      },
      async dispose() {
        await mf.dispose();
        if (built) rmSync(built.dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (stderrTail.length) log(`workerd said:\n${stderrTail.join('')}`);
    await mf.dispose();
    if (built) rmSync(built.dir, { recursive: true, force: true });
    throw err;
  }
}
