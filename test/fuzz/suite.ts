import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { byDepth, fuzzRandomSeed } from '../helpers/depth';
import { seed } from '../helpers/seed';
import { credentials, fuzzRequest, newTally, sendAndCheck } from './requests';

async function counts() {
  const one = async (sql: string) => (await env.DB.prepare(sql).first<{ n: number }>())?.n ?? -1;
  return {
    users: await one('select count(*) as n from users'),
    events: await one('select count(*) as n from activity_events'),
    orphanTasks: await one('select count(*) as n from tasks where owner_id not in (select id from users)'),
    orphanEvents: await one('select count(*) as n from activity_events where user_id not in (select id from users)'),
  };
}

/** Generated requests per fuzz file (4 files): deep is the full 2,500 per file (10,000). */
const RUNS = byDepth({ fixed: 125, random: 25 }, { fixed: 2500, random: 250 });

/**
 * Registers one fuzz suite (fast-check): a run with the file's fixed seed, so a failure replays
 * as is, and a shorter one with a new seed each time, printed on failure (FUZZ_SEED replays it).
 * The suite is split over a few files so that they spread over the vitest workers.
 */
export function fuzzSuite(name: string, seedValue: number): void {
  let creds: Awaited<ReturnType<typeof credentials>>;
  beforeAll(async () => {
    await seed(env.DB, { seedUsers: 0 });
    creds = await credentials();
  });

  const run = async (label: string, runs: number, seedUsed: number, annotate: (message: string) => Promise<unknown>) => {
    const before = await counts();
    const tally = newTally();
    try {
      await fc.assert(
        fc.asyncProperty(fuzzRequest(creds), (req) => sendAndCheck(req, tally)),
        { numRuns: runs, seed: seedUsed, endOnFailure: true },
      );
    } catch (error) {
      const replay = `${name} ${label} failed with seed ${seedUsed}; replay: FUZZ_SEED=${seedUsed} npx vitest run test/fuzz/`;
      throw new Error(`${replay}\n${(error as Error).message}`, { cause: error });
    }
    const after = await counts();
    expect(after.users).toBe(before.users);
    expect(after.events - before.events).toBe(tally.acceptedWrites);
    expect(after.orphanTasks).toBe(0);
    expect(after.orphanEvents).toBe(0);
    const spread = Object.entries(tally.byStatus)
      .map(([status, n]) => `${status}:${n}`)
      .join(' ');
    const report = `[fuzz] ${name} (${label}, seed ${seedUsed}): ${tally.ran} requests, ${tally.acceptedWrites} accepted writes; statuses ${spread}`;
    // An annotation reaches the reporter even when passing tests' console output is silenced.
    await annotate(report);
    console.info(report);
    expect(tally.ran).toBeGreaterThan(runs * 0.95);
  };

  const checks = 'every answer < 500, every /api error problem+json, D1 changed only by accepted writes';
  it(`${name}: ${RUNS.fixed} generated requests, fixed seed; ${checks}`, async ({ annotate }) => {
    await run('fixed seed', RUNS.fixed, seedValue, annotate);
  }, 600_000);
  it(`${name}: ${RUNS.random} generated requests, random seed; ${checks}`, async ({ annotate }) => {
    await run('random seed', RUNS.random, fuzzRandomSeed(), annotate);
  }, 600_000);
}
