import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { expect, it } from 'vitest';
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

/**
 * Registers one fuzz suite of `runs` generated requests (fast-check, fixed seed so a failure
 * replays). The suite is split over a few files so each stays well inside CI's time limits.
 */
export function fuzzSuite(name: string, runs: number, seedValue: number): void {
  it(`${name}: ${runs} generated requests; every answer < 500, every /api error problem+json, D1 changed only by accepted writes`, async ({
    annotate,
  }) => {
    await seed(env.DB, { seedUsers: 0 });
    const creds = await credentials();
    const before = await counts();
    const tally = newTally();
    await fc.assert(
      fc.asyncProperty(fuzzRequest(creds), (req) => sendAndCheck(req, tally)),
      { numRuns: runs, seed: seedValue, endOnFailure: true },
    );
    const after = await counts();
    expect(after.users).toBe(before.users);
    expect(after.events - before.events).toBe(tally.acceptedWrites);
    expect(after.orphanTasks).toBe(0);
    expect(after.orphanEvents).toBe(0);
    const spread = Object.entries(tally.byStatus)
      .map(([status, n]) => `${status}:${n}`)
      .join(' ');
    const report = `[fuzz] ${name}: ${tally.ran} requests, ${tally.acceptedWrites} accepted writes; statuses ${spread}`;
    // An annotation reaches the reporter even when passing tests' console output is silenced.
    await annotate(report);
    console.info(report);
    expect(tally.ran).toBeGreaterThan(runs * 0.95);
  }, 600_000);
}
