/**
 * What a release talks to, played locally: a fake wrangler that records every command line and
 * keeps the traffic split it was told to deploy, and a real HTTP server answering
 * GET /api/v1/metrics with the per-minute requests and 5xx that split would produce.
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
}

/** A clock, a traffic history, a fake wrangler and a metrics endpoint that agree with each other. */
export class World {
  now = Date.parse('2026-11-30T12:00:20.000Z');
  readonly commands: string[][] = [];
  readonly #periods: Period[];
  readonly #options: WorldOptions;
  readonly #rpm: number;
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
    if (line.startsWith('npx wrangler versions upload')) {
      return (
        this.#options.upload ??
        ok(`Total Upload: 1357.74 KiB / gzip: 265.03 KiB\nUploaded foyer-production (4.2 sec)\nWorker Version ID: ${NEW}\n`)
      );
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
