/**
 * What a release talks to, played locally: a fake wrangler that records every command line and
 * keeps the traffic split it was told to deploy, and a real HTTP server answering
 * GET /api/v1/metrics with the per-minute requests and 5xx that split would produce; the route
 * (`World.fetch`) answers each version's static assets, routed as the platform routes a split.
 * And what
 * provisioning talks to: `Account`, a fake wrangler over an account's resources.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CommandResult, Runner } from '../../../scripts/release/wrangler';

export const OLD = '11111111-1111-4111-8111-111111111111';
export const NEW = '22222222-2222-4222-8222-222222222222';
export const ADMIN_TOKEN = 'stand-in-admin-token';
const MINUTE = 60_000;

interface Period {
  from: number;
  split: Map<string, number>;
}

export interface WorldOptions {
  /** 5xx fraction of each version's responses. */
  errorRates: Record<string, number>;
  requestsPerMinute?: number;
  /** Whether the smoke test passes when pinned to the new version. */
  newVersionPassesSmoke?: boolean;
  /** What `wrangler deployments status` reports before the release. */
  deployed?: { version_id: string; percentage: number }[];
  /** The upload's exit code and output (e.g. the Durable Object lifecycle rejection). */
  upload?: CommandResult;
  /** From this time on /api/v1/metrics answers 503. */
  metricsDownFrom?: number;
  /** `wrangler versions deploy` fails for a split that gives the new version this share. */
  deployFailsAt?: number;
  /** The new build's script and stylesheet have other hashes than the serving version's (default true). */
  clientChanged?: boolean;
  /** The carry step's files are in what the new version was uploaded with (default true). */
  carryReachesUpload?: boolean;
  /** The carry step fails: the serving version did not hand its files over. */
  carryFails?: boolean;
  /** A Transform Rule sets Cloudflare-Workers-Version-Key from the session cookie (default true). */
  versionAffinity?: boolean;
}

/** A version's static assets: path → body. */
type Assets = Map<string, string>;

function builtAssets(hash: string): Assets {
  const script = `/assets/app-${hash}.js`;
  const style = `/assets/styles-${hash}.css`;
  return new Map([
    ['/asset-manifest.json', JSON.stringify({ script, style })],
    [script, `/* app ${hash} */`],
    [style, `/* styles ${hash} */`],
  ]);
}

/** A clock, a traffic history, a fake wrangler and a metrics endpoint that agree with each other. */
export class World {
  now = Date.parse('2026-11-30T12:00:20.000Z');
  readonly commands: string[][] = [];
  readonly #periods: Period[];
  readonly #options: WorldOptions;
  readonly #rpm: number;
  readonly #assets = new Map<string, Assets>([[OLD, builtAssets('OLDHASH1')]]);
  #carried = false;
  /** Per-request routing without affinity: a fixed sequence, so a run is repeatable. */
  #dice = 0;
  #server: Server | undefined;

  constructor(options: WorldOptions) {
    this.#options = options;
    this.#rpm = options.requestsPerMinute ?? 600;
    // The old version has served everything for the last hour.
    this.#periods = [{ from: this.now - 60 * MINUTE, split: new Map([[OLD, 100]]) }];
  }

  sleep = async (ms: number) => {
    this.now += ms;
  };

  run: Runner = async (argv) => {
    this.commands.push(argv);
    const line = argv.join(' ');
    if (line.startsWith('npx wrangler deployments status')) {
      const versions = this.#options.deployed ?? [{ version_id: OLD, percentage: 100 }];
      // wrangler may warn before the JSON; the parser must cope.
      return ok(`▲ [WARNING] a warning first\n${JSON.stringify({ id: 'dep-1', versions }, null, 2)}`);
    }
    if (argv.includes('scripts/build-web.ts') && argv.includes('--carry-from')) {
      if (this.#options.carryFails) {
        return {
          code: 1,
          stdout: '',
          stderr: 'GET https://foyer.example/assets/app-OLDHASH1.js answered 404: the version serving now cannot hand over its assets.',
        };
      }
      this.#carried = this.#options.carryReachesUpload ?? true;
      return ok('carried /assets/app-OLDHASH1.js and /assets/styles-OLDHASH1.css from https://foyer.example');
    }
    if (line.startsWith('npx wrangler versions upload')) {
      if (this.#options.upload) return this.#options.upload;
      const assets = builtAssets((this.#options.clientChanged ?? true) ? 'NEWHASH2' : 'OLDHASH1');
      if (this.#carried) {
        for (const [path, body] of this.#assets.get(OLD) ?? [])
          if (path.startsWith('/assets/') && !assets.has(path)) assets.set(path, body);
      }
      this.#assets.set(NEW, assets);
      return ok(`Total Upload: 1357.74 KiB / gzip: 265.03 KiB\nUploaded foyer-production (4.2 sec)\nWorker Version ID: ${NEW}\n`);
    }
    if (line.startsWith('npx wrangler versions deploy')) {
      const split = new Map<string, number>();
      for (const spec of argv.filter((a) => /@\d+%$/.test(a))) {
        const [version = '', percent = ''] = spec.split('@');
        split.set(version, Number.parseInt(percent, 10));
      }
      if (this.#options.deployFailsAt !== undefined && split.get(NEW) === this.#options.deployFailsAt) {
        return { code: 1, stdout: '', stderr: '✘ [ERROR] A request to the Cloudflare API failed: 500' };
      }
      this.#periods.push({ from: this.now, split });
      return ok('SUCCESS  Deployed');
    }
    if (argv.includes('scripts/smoke.ts')) {
      const pinnedToNew = line.includes(`Cloudflare-Workers-Version-Overrides: foyer-production="${NEW}"`);
      const passes = pinnedToNew ? (this.#options.newVersionPassesSmoke ?? true) : true;
      return { code: passes ? 0 : 1, stdout: `smoke: ${passes ? '4 passed, 0 failed' : '3 passed, 1 failed'}`, stderr: '' };
    }
    return { code: 127, stdout: '', stderr: `fake wrangler does not know: ${line}` };
  };

  /**
   * The environment's route: the override header reaches a version of the current deployment;
   * else, with affinity, the session cookie's hash picks the version as the share says (the
   * same key, the same version); else each request is routed on its own.
   */
  fetch = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const path = new URL(url).pathname;
    const headers = new Headers(init.headers);
    const split = this.splitAt(this.now);
    const pinned = /="([^"]+)"/.exec(headers.get('Cloudflare-Workers-Version-Overrides') ?? '')?.[1];
    const key = /__Host-foyer_session=([^;]+)/.exec(headers.get('Cookie') ?? '')?.[1];
    let roll: number;
    if (key && (this.#options.versionAffinity ?? true)) {
      roll = [...key].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 100, 7);
    } else {
      this.#dice = (this.#dice + 37) % 100;
      roll = this.#dice;
    }
    const share = split.get(NEW) ?? 0;
    const version = pinned && split.has(pinned) ? pinned : roll < share ? NEW : OLD;
    const body = this.#assets.get(version)?.get(path);
    return body === undefined ? new Response('not found', { status: 404 }) : new Response(body, { status: 200 });
  };

  /** The split serving traffic at time t. */
  splitAt(t: number): Map<string, number> {
    let current = this.#periods[0]?.split ?? new Map();
    for (const p of this.#periods) if (p.from <= t) current = p.split;
    return current;
  }

  /** Requests and errors of one minute, weighting each split by the seconds it served. */
  #bucket(minuteStart: number) {
    let errors = 0;
    for (let s = 0; s < 60; s++) {
      for (const [version, percent] of this.splitAt(minuteStart + s * 1000)) {
        errors += (this.#rpm / 60) * (percent / 100) * (this.#options.errorRates[version] ?? 0);
      }
    }
    return { at: new Date(minuteStart).toISOString(), requests: this.#rpm, errors: Math.round(errors) };
  }

  async listen(): Promise<string> {
    this.#server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      if (url.pathname !== '/api/v1/metrics') return void res.writeHead(404).end();
      if (req.headers.authorization !== `Bearer ${ADMIN_TOKEN}`) {
        return void res.writeHead(401, { 'Content-Type': 'application/problem+json' }).end('{"status":401}');
      }
      if (this.#options.metricsDownFrom !== undefined && this.now >= this.#options.metricsDownFrom) {
        return void res.writeHead(503, { 'Content-Type': 'application/problem+json' }).end('{"status":503}');
      }
      const minutes = Number(url.searchParams.get('minutes') ?? 5);
      const currentMinute = Math.floor(this.now / MINUTE) * MINUTE;
      const timeline = [];
      for (let m = currentMinute - (minutes - 1) * MINUTE; m <= currentMinute; m += MINUTE) timeline.push(this.#bucket(m));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ windowMinutes: minutes, timeline }));
    });
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close() {
    if (!this.#server) return;
    this.#server.close();
    await once(this.#server, 'close');
  }
}

function ok(stdout: string): CommandResult {
  return { code: 0, stdout, stderr: '' };
}

/** What `wrangler` would find on a Cloudflare account; a fresh `Account()` is an empty one. */
export interface AccountState {
  d1?: { name: string; uuid: string }[];
  kv?: { title: string; id: string }[];
  r2?: string[];
  lifecycle?: Record<string, { name: string; prefix: string; expireDays: number }[]>;
  queues?: string[];
}

/**
 * A fake wrangler over one account: the list and create commands `npm run provision` runs,
 * printing what the real ones print (JSON for D1 and KV, `name:` blocks for R2, a table per page
 * for queues), and refusing to create what exists, as the API does.
 */
export class Account {
  readonly commands: string[][] = [];
  readonly d1: { name: string; uuid: string }[];
  readonly kv: { title: string; id: string }[];
  readonly r2: string[];
  readonly lifecycle: Record<string, { name: string; prefix: string; expireDays: number }[]>;
  readonly queues: string[];
  /** Every command line starting with this fails, as an API error would. */
  failOn: string | undefined;
  #next = 0;

  constructor(
    state: AccountState = {},
    readonly queuesPerPage = 3,
  ) {
    this.d1 = [...(state.d1 ?? [])];
    this.kv = [...(state.kv ?? [])];
    this.r2 = [...(state.r2 ?? [])];
    this.lifecycle = structuredClone(state.lifecycle ?? {});
    this.queues = [...(state.queues ?? [])];
  }

  /** The command lines run that create something. */
  creates(): string[] {
    return this.commands.map((c) => c.join(' ')).filter((l) => / create | lifecycle add /.test(l));
  }

  #id(hex32 = false): string {
    this.#next += 1;
    const n = this.#next.toString(16).padStart(12, '0');
    return hex32 ? `ab${n}`.padEnd(32, 'c') : `3a5f0c1e-0000-4000-8000-${n}`;
  }

  run: Runner = async (argv) => {
    this.commands.push(argv);
    const line = argv.join(' ');
    if (this.failOn && line.startsWith(this.failOn)) {
      return {
        code: 1,
        stdout: '',
        stderr: '✘ [ERROR] A request to the Cloudflare API (/accounts/acc/…) failed.\n  Authentication error [code: 10000]',
      };
    }
    const [, , ...args] = argv;
    const [a, b, c, d, e] = args;
    const exists = (what: string) => ({ code: 1, stdout: '', stderr: `✘ [ERROR] ${what} already exists.` });
    if (line === 'npx wrangler d1 list --json')
      return ok(
        // wrangler may print a warning before the document; its "[WARNING]" is not where the JSON starts.
        '▲ [WARNING] Processing wrangler.toml configuration: a warning first\n' +
          JSON.stringify(
            this.d1.map((db) => ({ ...db, version: 'production', created_at: '2026-11-01T00:00:00Z' })),
            null,
            2,
          ),
      );
    if (a === 'd1' && b === 'create' && c) {
      if (this.d1.some((db) => db.name === c)) return exists(`A database with name ${c}`);
      const uuid = this.#id();
      this.d1.push({ name: c, uuid });
      return ok(
        `✅ Successfully created DB '${c}' in region WEUR\nCreated your new D1 database.\n\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "${c}"\ndatabase_id = "${uuid}"\n`,
      );
    }
    if (line === 'npx wrangler kv namespace list')
      return ok(
        JSON.stringify(
          this.kv.map((ns) => ({ ...ns, supports_url_encoding: true })),
          null,
          '  ',
        ),
      );
    if (a === 'kv' && b === 'namespace' && c === 'create' && d) {
      if (this.kv.some((ns) => ns.title === d)) return exists(`A KV namespace with the title "${d}"`);
      const id = this.#id(true);
      this.kv.push({ title: d, id });
      return ok(`🌀 Creating namespace with title "${d}"\n✨ Success!\n[[kv_namespaces]]\nbinding = "${d}"\nid = "${id}"\n`);
    }
    if (line === 'npx wrangler r2 bucket list') {
      const blocks = this.r2.map((name) => `name:           ${name}\ncreation_date:  2026-11-01T00:00:00.000Z`);
      return ok(`Listing buckets...\n${blocks.join('\n\n')}\n`);
    }
    if (a === 'r2' && b === 'bucket' && c === 'create' && d) {
      if (this.r2.includes(d)) return exists(`The bucket ${d}`);
      this.r2.push(d);
      return ok(`Creating bucket '${d}'...\n✅ Created bucket '${d}' with default storage class of Standard.\n`);
    }
    if (a === 'r2' && b === 'bucket' && c === 'lifecycle' && d === 'list' && e) {
      if (!this.r2.includes(e)) return { code: 1, stdout: '', stderr: `✘ [ERROR] The specified bucket does not exist. [code: 10006]` };
      const rules = this.lifecycle[e] ?? [];
      if (rules.length === 0) return ok(`Listing lifecycle rules for bucket '${e}'...\nThere are no lifecycle rules for bucket '${e}'.\n`);
      const blocks = rules.map(
        (r) => `name:     ${r.name}\nenabled:  Yes\nprefix:   ${r.prefix}\naction:   Expire objects after ${r.expireDays} days`,
      );
      return ok(`Listing lifecycle rules for bucket '${e}'...\n${blocks.join('\n\n')}\n`);
    }
    if (a === 'r2' && b === 'bucket' && c === 'lifecycle' && d === 'add' && e) {
      const [name = '', prefix = ''] = args.slice(5);
      const days = Number(args[args.indexOf('--expire-days') + 1]);
      if (!this.r2.includes(e)) return { code: 1, stdout: '', stderr: '✘ [ERROR] The specified bucket does not exist. [code: 10006]' };
      if (!args.includes('--force')) return { code: 1, stdout: '', stderr: 'would prompt for confirmation' };
      this.lifecycle[e] = [...(this.lifecycle[e] ?? []), { name, prefix, expireDays: days }];
      return ok(`Adding lifecycle rule '${name}' to bucket '${e}'...\n✨ Added lifecycle rule '${name}' to bucket '${e}'.\n`);
    }
    if (a === 'queues' && b === 'list') {
      const page = c === '--page' ? Number(d) : 1;
      const rows = this.queues.slice((page - 1) * this.queuesPerPage, page * this.queuesPerPage);
      return ok(queueTable(rows));
    }
    if (a === 'queues' && b === 'create' && c) {
      if (this.queues.includes(c)) return exists(`A queue with name ${c}`);
      this.queues.push(c);
      return ok(`🌀 Creating queue '${c}'\n✅ Created queue '${c}'.\n`);
    }
    return { code: 127, stdout: '', stderr: `fake wrangler does not know: ${line}` };
  };
}

/** `wrangler queues list` as cli-table3 draws it (an empty page prints an empty table). */
function queueTable(names: string[]): string {
  if (names.length === 0) return '\n';
  const rows = [
    ['id', 'name', 'created_on', 'producers', 'consumers'],
    ...names.map((n, i) => [`q${i}0000000000000000000000000000`, n, '2026-11-01', '1', '1']),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  const line = (cells: string[]) => `│ ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' │ ')} │`;
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  return [rule('┌', '┬', '┐'), line(rows[0]!), ...rows.slice(1).flatMap((r) => [rule('├', '┼', '┤'), line(r)]), rule('└', '┴', '┘')].join(
    '\n',
  );
}
