/**
 * Cold start: the first request a fresh isolate serves, Foyer's against hello world's, in the
 * same runtime and the same run. Each round restarts workerd (fresh isolates for both workers,
 * state kept), sends one request to each (alternating which goes first, so neither always pays
 * for the process's own first connection), then a second one to each for the warm figure.
 * The figure is the median over the rounds of Foyer's first-request latency divided by hello
 * world's (×, lower is better); docs/performance.md#cold-start reads it.
 *
 * workerd compiles and evaluates every worker's top-level scope when it loads the config, so the
 * bundle's parse and global scope show in `restartMs` (both workers together), and the first
 * request pays the rest: lazily compiled functions, the isolate's empty caches (purge
 * generations, flags, fragments from KV or D1) and its first calls to objects and bindings.
 */
import { request } from 'node:http';
import { BASELINE_HOST } from '../lib/local-runtime';
import type { Scenario } from '../lib/scenario';

const ROUNDS = 7;

interface Round {
  order: 'hello-first' | 'foyer-first';
  restartMs: number;
  helloFirstMs: number;
  foyerFirstMs: number;
  helloSecondMs: number;
  foyerSecondMs: number;
}

/** One request, timed from sending to the last byte (node:http, since fetch cannot set Host). */
function timed(origin: string, path: string, headers: Record<string, string>): Promise<{ ms: number; status: number }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request({ hostname, port, path, headers, agent: false, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0 }));
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer within 30 s`)));
    req.on('error', reject);
    req.end();
  });
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export const cold: Scenario = {
  name: 'cold',
  description: `the first request to a fresh isolate (workerd restarted, state kept): Foyer's intro page against hello world's first request, ${ROUNDS} rounds, median ratio.`,
  defaultDurationSec: 1,
  users: ROUNDS,
  async run(ctx) {
    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const user = ctx.users[i % ctx.users.length]!;
      const restartStarted = performance.now();
      await ctx.setVars({});
      const restartMs = performance.now() - restartStarted;
      const hello = () => timed(ctx.url, '/', { host: BASELINE_HOST });
      const foyer = async () => {
        const res = await timed(ctx.url, `/api/v1/intro-page/${user.id}`, { authorization: user.auth });
        if (res.status !== 200) throw new Error(`cold start round ${i + 1}: the intro page answered ${res.status}, not 200`);
        return res;
      };
      const order = i % 2 === 0 ? 'hello-first' : 'foyer-first';
      const [helloFirst, foyerFirst] =
        order === 'hello-first' ? [await hello(), await foyer()] : await foyer().then(async (f) => [await hello(), f] as const);
      const [helloSecond, foyerSecond] = [await hello(), await foyer()];
      const round = {
        order,
        restartMs,
        helloFirstMs: helloFirst.ms,
        foyerFirstMs: foyerFirst.ms,
        helloSecondMs: helloSecond.ms,
        foyerSecondMs: foyerSecond.ms,
      } satisfies Round;
      rounds.push(round);
      ctx.log(
        `round ${i + 1}/${ROUNDS} (${order}): restart ${restartMs.toFixed(0)} ms; first request hello ${helloFirst.ms.toFixed(1)} ms, Foyer ${foyerFirst.ms.toFixed(1)} ms; second hello ${helloSecond.ms.toFixed(1)} ms, Foyer ${foyerSecond.ms.toFixed(1)} ms`,
      );
    }
    const ratios = rounds.map((r) => r.foyerFirstMs / r.helloFirstMs);
    ctx.extra.coldStart = {
      rounds,
      median: {
        restartMs: median(rounds.map((r) => r.restartMs)),
        helloFirstMs: median(rounds.map((r) => r.helloFirstMs)),
        foyerFirstMs: median(rounds.map((r) => r.foyerFirstMs)),
        helloSecondMs: median(rounds.map((r) => r.helloSecondMs)),
        foyerSecondMs: median(rounds.map((r) => r.foyerSecondMs)),
        /** Foyer's first request ÷ hello world's, per round, then the median (×, lower is better). */
        firstRequestRatio: median(ratios),
      },
    };
    ctx.note(
      `cold start: Foyer's first request took ×${median(ratios).toFixed(1)} hello world's first request (median of ${ROUNDS} rounds; spread ×${Math.min(...ratios).toFixed(1)}–×${Math.max(...ratios).toFixed(1)}).`,
    );
  },
};
