/**
 * `floor`: how close a goal can come on this runtime. The warm intro page is measured beside the
 * page floor (a worker answering a copy of that very page, with and without its log line), and
 * task writes beside the write floor (the I/O any write under the contract makes), all divided
 * by the same run's hello world (load/lib/floor-workers.ts; docs/performance.md, "The floor").
 * From the CPU per request it works out the `mixed` ratio each pair of read and write would give.
 */
import { median, mixedRatio, writeBudgetFor } from '../lib/analysis';
import type { PageTemplate } from '../lib/floor-workers';
import type { RequestSpec } from '../lib/http-load';
import type { PhaseReport } from '../lib/report';
import { intOption, introPage, type MeasureOptions, type Scenario, type ScenarioContext } from '../lib/scenario';
import { type LoadUser, prng } from '../lib/users';
import { htmlPageOf } from './html';
import { taskWrites, WRITE_CONNECTIONS, WRITE_SHARE } from './mixed';
import { randomIntroPages, warmIntroPages } from './pages';

/** Headers the runtime writes itself or the floor makes per request. */
const NOT_COPIED = new Set(['content-length', 'date', 'x-request-id', 'transfer-encoding', 'connection', 'keep-alive']);

/** The mix `mixed` should reach (issue #18). */
const MIXED_GOAL = 0.5;

/** A warm answer of Foyer's to `spec`, and a log line with the fields of its request line, for the page floor. */
async function copyOfWarmAnswer(ctx: ScenarioContext, spec: RequestSpec, route: string, user: LoadUser): Promise<PageTemplate> {
  const res = await fetch(ctx.url + spec.path, { headers: spec.headers, redirect: 'manual' });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`floor: ${spec.path} answered ${res.status}, so there is no warm answer to copy`);
  const headers = [...res.headers].filter(([name]) => !NOT_COPIED.has(name));
  const cacheStatus = res.headers.get('cache-status');
  const line = {
    level: 'info',
    msg: 'request',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: null,
    method: 'GET',
    route,
    path: spec.path,
    status: res.status,
    principal: { userId: user.id, role: 'user' },
    cache: cacheStatus ? { layer: cacheStatus.split(';')[0], hit: true, status: cacheStatus } : null,
    timings: { ratelimit: 0, isolate: 0, total: 0.1 },
  };
  return { headers, body, line };
}

/** Rounds of the read phases. */
const ROUNDS = 3;
const READ_KINDS = ['page', 'pageFloor', 'pageFloorLogged', 'html', 'htmlFloorLogged'] as const;
type ReadKind = (typeof READ_KINDS)[number];

const cpu = (phase: PhaseReport) => phase.cpuMsPerRequest?.phase ?? null;
/** Hello world's CPU per request ÷ the phase's, each from the same phase's bracket. */
const cpuRatioOf = (phase: PhaseReport) => {
  const own = cpu(phase);
  const base = phase.cpuMsPerRequest?.baseline;
  return own && base ? base / own : null;
};
const fixed = (n: number | null | undefined, digits = 2) => (n === null || n === undefined ? '–' : n.toFixed(digits));

export const floor: Scenario = {
  name: 'floor',
  description:
    'The warm intro page and GET / beside their floors (a copy of each answer, with its JSON log line; the JSON page also without), task writes @10 beside the write floor (one D1 batch, one feed-object call, one queue message and its consumer): each ÷ hello world, and the mixed ratio each read/write pair gives.',
  defaultDurationSec: 10,
  users: 1000,
  async run(ctx) {
    const connections = intOption(ctx, 'connections', 50);
    await warmIntroPages(ctx);
    const html = await ctx.warm(ctx.users.map(htmlPageOf));
    ctx.log(`read ${html.ok} HTML pages (${html.failed} failed)`);
    const sample = ctx.users[0]!;
    for (const [name, spec, route] of [
      ['json', introPage(sample), '/api/v1/intro-page/:userId'],
      ['html', htmlPageOf(sample), '/'],
    ] as const) {
      const template = await copyOfWarmAnswer(ctx, spec, route, sample);
      const status = await ctx.setUpFloor('floor-page', `/${name}`, JSON.stringify(template));
      if (status !== 204) throw new Error(`floor: the page floor refused the ${name} template (HTTP ${status})`);
      ctx.log(`page floor /${name}: a copy of a warm answer, ${template.body.length} bytes and ${template.headers.length} headers`);
    }

    // The machine's speed drifts over tens of seconds (shared cores), so the phases are measured in
    // turn, ROUNDS times, each against its own bracketing hello world, and the medians reported.
    const reads: Record<ReadKind, PhaseReport[]> = { page: [], pageFloor: [], pageFloorLogged: [], html: [], htmlFloorLogged: [] };
    const pages = randomIntroPages(ctx, 12);
    const htmlRandom = prng(13);
    const htmlPages = () => htmlPageOf(ctx.users[Math.floor(htmlRandom() * ctx.users.length)]!);
    const floorAt = (path: string) => () => ({ path });
    const phases: [ReadKind, string, () => RequestSpec, MeasureOptions['target']][] = [
      ['page', 'intro-page warm', pages, 'foyer'],
      ['pageFloor', 'page floor', floorAt('/json'), 'floor-page'],
      ['pageFloorLogged', 'page floor + log line', floorAt('/json/logged'), 'floor-page'],
      ['html', 'GET / (html)', htmlPages, 'foyer'],
      ['htmlFloorLogged', 'GET / floor + log line', floorAt('/html/logged'), 'floor-page'],
    ];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [kind, name, next, target] of phases) {
        reads[kind].push(
          await ctx.measure(`${name} @${connections} #${round}`, { connections, durationSec: ctx.durationSec, next, target }),
        );
      }
    }

    const writeStatus = await ctx.setUpFloor('floor-write', '/', '{}');
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

    // Hello world at the reads' concurrency (medians over the rounds): the yardstick of the mix, as in `mixed`.
    const hello = median(reads.page.map((p) => p.cpuMsPerRequest?.baseline));
    const page = median(reads.page.map(cpu));
    const pageFloorLogged = median(reads.pageFloorLogged.map(cpu));
    const mix = (read: number | null, writeMs: number | null) => mixedRatio(hello, read, writeMs, WRITE_SHARE);
    const figures = {
      rounds: ROUNDS,
      cpuMsPerRequest: {
        helloWorld: hello,
        ...(Object.fromEntries(READ_KINDS.map((kind) => [kind, median(reads[kind].map(cpu))])) as Record<ReadKind, number | null>),
        write: cpu(writes),
        writeFloor: cpu(writeFloor),
      },
      // Each phase against its own bracketing hello world, median of the rounds.
      cpuRatio: Object.fromEntries(READ_KINDS.map((kind) => [kind, median(reads[kind].map(cpuRatioOf))])) as Record<
        ReadKind,
        number | null
      >,
      rpsRatio: Object.fromEntries(READ_KINDS.map((kind) => [kind, median(reads[kind].map((p) => p.ratio?.rps))])) as Record<
        ReadKind,
        number | null
      >,
      mixed: {
        foyer: mix(page, cpu(writes)),
        foyerPageWriteFloor: mix(page, cpu(writeFloor)),
        pageFloorFoyerWrite: mix(pageFloorLogged, cpu(writes)),
        floors: mix(pageFloorLogged, cpu(writeFloor)),
      },
      writeBudgetForGoal: {
        withFoyerPage: writeBudgetFor(MIXED_GOAL, hello, page, WRITE_SHARE),
        withPageFloor: writeBudgetFor(MIXED_GOAL, hello, pageFloorLogged, WRITE_SHARE),
      },
    };
    ctx.extra.floor = figures;
    const { cpuRatio, rpsRatio, mixed } = figures;
    ctx.note(
      `reads (medians of ${ROUNDS} rounds), hello world's CPU ÷ each one's, then throughput ÷ hello world's: Foyer's warm JSON page ` +
        `${fixed(cpuRatio.page)} / ${fixed(rpsRatio.page)}; its floor ${fixed(cpuRatio.pageFloor)} / ${fixed(rpsRatio.pageFloor)}; its floor with ` +
        `the log line ${fixed(cpuRatio.pageFloorLogged)} / ${fixed(rpsRatio.pageFloorLogged)}. GET /: Foyer ${fixed(cpuRatio.html)} / ` +
        `${fixed(rpsRatio.html)}; its floor with the log line ${fixed(cpuRatio.htmlFloorLogged)} / ${fixed(rpsRatio.htmlFloorLogged)}.`,
    );
    ctx.note(
      `writes, workerd CPU per request: Foyer's ${fixed(cpu(writes))} ms, the write floor ${fixed(cpu(writeFloor))} ms ` +
        `(hello world at 50 connections ${fixed(hello, 3)} ms); the last second of consumer batches falls after either phase alike.`,
    );
    ctx.note(
      `mixed at ${WRITE_SHARE * 100} % writes, worked out from CPU: Foyer ${fixed(mixed.foyer)}; Foyer's page with the write floor ` +
        `${fixed(mixed.foyerPageWriteFloor)}; the page floor with Foyer's write ${fixed(mixed.pageFloorFoyerWrite)}; both floors ${fixed(mixed.floors)}. ` +
        `For ${MIXED_GOAL}, a write may cost ${fixed(figures.writeBudgetForGoal.withFoyerPage)} ms with Foyer's page, ` +
        `${fixed(figures.writeBudgetForGoal.withPageFloor)} ms with the page floor.`,
    );
  },
};
