/**
 * `floor`: how close a goal can come on this runtime. The warm intro page is measured beside the
 * page floor (a worker answering a copy of that very page, with and without its log line), and
 * task writes beside the write floor (the I/O any write under the contract makes), all divided
 * by the same run's hello world (load/lib/floor-workers.ts; docs/performance.md, "The floor").
 * From the CPU per request it works out the `mixed` ratio each pair of read and write would give.
 */
import { mixedRatio, writeBudgetFor } from '../lib/analysis';
import type { PageTemplate } from '../lib/floor-workers';
import type { PhaseReport } from '../lib/report';
import { introPage, type Scenario, type ScenarioContext } from '../lib/scenario';
import { prng } from '../lib/users';
import { taskWrites, WRITE_CONNECTIONS, WRITE_SHARE } from './mixed';
import { randomIntroPages, warmIntroPages } from './pages';

/** Headers the runtime writes itself or the floor makes per request. */
const NOT_COPIED = new Set(['content-length', 'date', 'x-request-id', 'transfer-encoding', 'connection', 'keep-alive']);

/** The mix `mixed` should reach (issue #18). */
const MIXED_GOAL = 0.5;

/** A warm answer of Foyer's, and a log line with the fields of its request line, for the page floor. */
async function copyOfWarmPage(ctx: ScenarioContext): Promise<PageTemplate> {
  const user = ctx.users[0]!;
  const spec = introPage(user);
  const res = await fetch(ctx.url + spec.path, { headers: spec.headers });
  const body = await res.text();
  if (!res.ok) throw new Error(`floor: the intro page answered ${res.status}, so there is no warm page to copy`);
  const headers = [...res.headers].filter(([name]) => !NOT_COPIED.has(name));
  const cacheStatus = res.headers.get('cache-status');
  const line = {
    level: 'info',
    msg: 'request',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: null,
    method: 'GET',
    route: '/api/v1/intro-page/:userId',
    path: spec.path,
    status: res.status,
    principal: { userId: user.id, role: 'user' },
    cache: cacheStatus ? { layer: cacheStatus.split(';')[0], hit: true, status: cacheStatus } : null,
    timings: { ratelimit: 0, isolate: 0, total: 0.1 },
  };
  return { headers, body, line };
}

const cpu = (phase: PhaseReport) => phase.cpuMsPerRequest?.phase ?? null;
const fixed = (n: number | null | undefined, digits = 2) => (n === null || n === undefined ? '–' : n.toFixed(digits));

export const floor: Scenario = {
  name: 'floor',
  description:
    'The warm intro page beside the page floor (a copy of its answer; and with its JSON log line), task writes @10 beside the write floor (one D1 batch, one feed-object call, one queue message and its consumer): each ÷ hello world, and the mixed ratio each read/write pair gives.',
  defaultDurationSec: 10,
  users: 1000,
  async run(ctx) {
    const connections = ctx.options.connections ? Number(ctx.options.connections) : 50;
    await warmIntroPages(ctx);
    const template = await copyOfWarmPage(ctx);
    const pageStatus = await ctx.setUpFloor('floor-page', JSON.stringify(template));
    if (pageStatus !== 204) throw new Error(`floor: the page floor refused its template (HTTP ${pageStatus})`);
    ctx.log(`page floor: a copy of a warm page, ${template.body.length} bytes and ${template.headers.length} headers`);

    const page = await ctx.measure(`intro-page warm @${connections}`, {
      connections,
      durationSec: ctx.durationSec,
      next: randomIntroPages(ctx, 12),
    });
    const pageFloor = await ctx.measure(`page floor @${connections}`, {
      connections,
      durationSec: ctx.durationSec,
      next: () => ({ path: '/' }),
      target: 'floor-page',
    });
    const pageFloorLogged = await ctx.measure(`page floor + log line @${connections}`, {
      connections,
      durationSec: ctx.durationSec,
      next: () => ({ path: '/logged' }),
      target: 'floor-page',
    });

    const writeStatus = await ctx.setUpFloor('floor-write', '{}');
    if (writeStatus !== 204) throw new Error(`floor: the write floor could not create its tables (HTTP ${writeStatus})`);
    const random = prng(11);
    const write = taskWrites(random);
    const writeSeconds = Math.max(5, Math.round(ctx.durationSec / 2));
    const writes = await ctx.measure(`task writes @${WRITE_CONNECTIONS}`, {
      connections: WRITE_CONNECTIONS,
      durationSec: writeSeconds,
      next: () => write(ctx.users[Math.floor(random() * ctx.users.length)]!),
    });
    const writeFloor = await ctx.measure(`write floor @${WRITE_CONNECTIONS}`, {
      connections: WRITE_CONNECTIONS,
      durationSec: writeSeconds,
      next: () => ({ method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: '{"title":"load test task"}' }),
      target: 'floor-write',
    });

    // Hello world at the reads' concurrency: the yardstick of the mix, as in `mixed`.
    const hello = page.cpuMsPerRequest?.baseline ?? null;
    const ratioOf = (phase: PhaseReport) => {
      const own = cpu(phase);
      const base = phase.cpuMsPerRequest?.baseline;
      return own && base ? base / own : null;
    };
    const mix = (read: number | null, writeMs: number | null) => mixedRatio(hello, read, writeMs, WRITE_SHARE);
    const figures = {
      cpuMsPerRequest: {
        helloWorld: hello,
        page: cpu(page),
        pageFloor: cpu(pageFloor),
        pageFloorLogged: cpu(pageFloorLogged),
        write: cpu(writes),
        writeFloor: cpu(writeFloor),
      },
      // Hello world's CPU ÷ each one's, each against its own phase's hello world.
      cpuRatio: {
        page: ratioOf(page),
        pageFloor: ratioOf(pageFloor),
        pageFloorLogged: ratioOf(pageFloorLogged),
      },
      rpsRatio: {
        page: page.ratio?.rps ?? null,
        pageFloor: pageFloor.ratio?.rps ?? null,
        pageFloorLogged: pageFloorLogged.ratio?.rps ?? null,
      },
      mixed: {
        foyer: mix(cpu(page), cpu(writes)),
        foyerPageWriteFloor: mix(cpu(page), cpu(writeFloor)),
        pageFloorFoyerWrite: mix(cpu(pageFloorLogged), cpu(writes)),
        floors: mix(cpu(pageFloorLogged), cpu(writeFloor)),
      },
      writeBudgetForGoal: {
        withFoyerPage: writeBudgetFor(MIXED_GOAL, hello, cpu(page), WRITE_SHARE),
        withPageFloor: writeBudgetFor(MIXED_GOAL, hello, cpu(pageFloorLogged), WRITE_SHARE),
      },
    };
    ctx.extra.floor = figures;
    const { cpuRatio, mixed } = figures;
    ctx.note(
      `reads, hello world's CPU ÷ each one's: Foyer's warm page ${fixed(cpuRatio.page)}, the page floor ${fixed(cpuRatio.pageFloor)}, ` +
        `the page floor with its log line ${fixed(cpuRatio.pageFloorLogged)}.`,
    );
    ctx.note(
      `writes, workerd CPU per request: Foyer's ${fixed(cpu(writes))} ms, the write floor ${fixed(cpu(writeFloor))} ms ` +
        `(hello world ${fixed(hello, 3)} ms); the last second of consumer batches falls after either phase alike.`,
    );
    ctx.note(
      `mixed at ${WRITE_SHARE * 100} % writes, worked out from CPU: Foyer ${fixed(mixed.foyer)}; Foyer's page with the write floor ` +
        `${fixed(mixed.foyerPageWriteFloor)}; the page floor with Foyer's write ${fixed(mixed.pageFloorFoyerWrite)}; both floors ${fixed(mixed.floors)}. ` +
        `For ${MIXED_GOAL}, a write may cost ${fixed(figures.writeBudgetForGoal.withFoyerPage)} ms with Foyer's page, ` +
        `${fixed(figures.writeBudgetForGoal.withPageFloor)} ms with the page floor.`,
    );
  },
};
