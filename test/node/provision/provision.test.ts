import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { ProvisionError, provision } from '../../../scripts/provision/provision';
import { Account } from '../release/stand-ins';

const ROOT = resolve(import.meta.dirname, '../../..');
const COMMITTED = readFileSync(resolve(ROOT, 'wrangler.toml'), 'utf8');

/** wrangler.toml as a file the run reads and writes, counting the writes. */
function config(text = COMMITTED) {
  const file = { text, writes: 0, lines: [] as string[] };
  return {
    file,
    deps: (account: Account) => ({
      run: account.run,
      log: (line: string) => file.lines.push(line),
      readConfig: () => file.text,
      writeConfig: (next: string) => {
        file.writes += 1;
        file.text = next;
      },
    }),
  };
}

type Env = { d1_databases: { database_id: string }[]; kv_namespaces: { id: string }[] };
const envOf = (text: string, env: string) => (parse(text) as { env: Record<string, Env> }).env[env] as Env;

const STAGING_CREATES = [
  'npx wrangler d1 create foyer-staging',
  'npx wrangler kv namespace create foyer-staging-cache',
  'npx wrangler r2 bucket create foyer-backups-staging',
  'npx wrangler r2 bucket lifecycle add foyer-backups-staging expire-hourly d1/hourly/ --expire-days 2 --force',
  'npx wrangler r2 bucket lifecycle add foyer-backups-staging expire-daily d1/daily/ --expire-days 8 --force',
  'npx wrangler r2 bucket lifecycle add foyer-backups-staging expire-weekly d1/weekly/ --expire-days 29 --force',
  'npx wrangler queues create foyer-events-staging',
  'npx wrangler queues create foyer-events-dlq-staging',
];

describe('npm run provision against a fake wrangler', () => {
  it('on an empty account creates every resource of the environment and writes their ids over the placeholders', async () => {
    const account = new Account();
    const { file, deps } = config();
    const result = await provision('staging', deps(account));

    expect(account.creates()).toEqual(STAGING_CREATES);
    expect(result.created).toHaveLength(8);
    const staging = envOf(file.text, 'staging');
    expect(staging.d1_databases[0]?.database_id).toBe(account.d1.find((db) => db.name === 'foyer-staging')?.uuid);
    expect(staging.kv_namespaces[0]?.id).toBe(account.kv.find((ns) => ns.title === 'foyer-staging-cache')?.id);
    // Only the two placeholders changed: comments, layout and production's placeholders stay.
    const expected = COMMITTED.replace('"REPLACE_WITH_STAGING_D1_ID"', `"${account.d1[0]?.uuid}"`).replace(
      '"REPLACE_WITH_STAGING_KV_ID"',
      `"${account.kv[0]?.id}"`,
    );
    expect(file.text).toBe(expected);
    expect(file.text).toContain('REPLACE_WITH_PRODUCTION_D1_ID');
    expect(account.lifecycle['foyer-backups-staging']).toEqual([
      { name: 'expire-hourly', prefix: 'd1/hourly/', expireDays: 2 },
      { name: 'expire-daily', prefix: 'd1/daily/', expireDays: 8 },
      { name: 'expire-weekly', prefix: 'd1/weekly/', expireDays: 29 },
    ]);
  });

  it('a second run creates nothing and leaves wrangler.toml as it is', async () => {
    const account = new Account();
    const { file, deps } = config();
    await provision('staging', deps(account));
    const afterFirst = file.text;
    const writes = file.writes;
    account.commands.length = 0;

    const again = await provision('staging', deps(account));
    expect(again.created).toEqual([]);
    expect(again.written.size).toBe(0);
    expect(account.creates()).toEqual([]);
    expect(account.commands.length).toBeGreaterThan(0);
    expect(file.writes).toBe(writes);
    expect(file.text).toBe(afterFirst);
    expect(file.lines.at(-1)).toBe('staging: nothing to create, everything exists.');
  });

  it('on a partial account creates only what is missing, and records the id of a database that was already there', async () => {
    const account = new Account({
      d1: [{ name: 'foyer-production', uuid: '9d2c1b7e-1111-4222-8333-444455556666' }],
      r2: ['other-bucket', 'foyer-backups-production'],
      lifecycle: { 'foyer-backups-production': [{ name: 'expire-hourly', prefix: 'd1/hourly/', expireDays: 2 }] },
      // Three queues a page: production's events queue is on the second page of the listing.
      queues: ['a', 'b', 'c', 'foyer-events-production'],
    });
    const { file, deps } = config();
    await provision('production', deps(account));

    expect(account.creates()).toEqual([
      'npx wrangler kv namespace create foyer-production-cache',
      'npx wrangler r2 bucket lifecycle add foyer-backups-production expire-daily d1/daily/ --expire-days 8 --force',
      'npx wrangler r2 bucket lifecycle add foyer-backups-production expire-weekly d1/weekly/ --expire-days 29 --force',
      'npx wrangler queues create foyer-events-dlq-production',
    ]);
    const production = envOf(file.text, 'production');
    expect(production.d1_databases[0]?.database_id).toBe('9d2c1b7e-1111-4222-8333-444455556666');
    expect(production.kv_namespaces[0]?.id).toBe(account.kv[0]?.id);
    expect(file.text).toContain('REPLACE_WITH_STAGING_D1_ID');
  });

  it('a failed create stops with what to do, keeps the ids of what it did create, and the next run finishes the rest', async () => {
    const account = new Account();
    account.failOn = 'npx wrangler r2 bucket create';
    const { file, deps } = config();
    const failed = provision('staging', deps(account));
    await expect(failed).rejects.toBeInstanceOf(ProvisionError);
    await expect(failed).rejects.toThrow(
      /could not create the R2 bucket foyer-backups-staging: `npx wrangler r2 bucket create foyer-backups-staging` exited 1/,
    );
    await expect(failed).rejects.toThrow(/Authentication error[\s\S]*run npm run provision again/);
    expect(account.creates()).toEqual(STAGING_CREATES.slice(0, 3));
    expect(account.queues).toEqual([]);
    // Written for what succeeded: the database and the namespace exist, so their ids are recorded.
    expect(envOf(file.text, 'staging').d1_databases[0]?.database_id).toBe(account.d1[0]?.uuid);
    expect(envOf(file.text, 'staging').kv_namespaces[0]?.id).toBe(account.kv[0]?.id);

    account.failOn = undefined;
    account.commands.length = 0;
    const rest = await provision('staging', deps(account));
    expect(account.creates()).toEqual(STAGING_CREATES.slice(2));
    expect(rest.written.size).toBe(0);
  });

  it('a failed listing creates nothing and leaves wrangler.toml unchanged', async () => {
    const account = new Account();
    account.failOn = 'npx wrangler queues list';
    const { file, deps } = config();
    await expect(provision('staging', deps(account))).rejects.toThrow(/could not list the queues.*\n[\s\S]*npx wrangler login/);
    expect(account.creates()).toEqual([]);
    expect(file.writes).toBe(0);
  });

  it('refuses, before creating anything, an id in wrangler.toml that the account does not have', async () => {
    const account = new Account({ d1: [{ name: 'foyer-staging', uuid: '9d2c1b7e-1111-4222-8333-444455556666' }] });
    const { file, deps } = config(COMMITTED.replace('REPLACE_WITH_STAGING_D1_ID', '0badc0de-0000-4000-8000-000000000000'));
    await expect(provision('staging', deps(account))).rejects.toThrow(
      /gives D1 database foyer-staging the database_id 0badc0de-0000-4000-8000-000000000000, but the account's D1 database foyer-staging is 9d2c1b7e/,
    );
    expect(account.creates()).toEqual([]);
    expect(file.writes).toBe(0);
  });
});

describe('the provision command line', () => {
  it('takes only a remote environment (exit 2 with the usage otherwise)', () => {
    const tsx = resolve(ROOT, 'node_modules/.bin/tsx');
    for (const args of [[], ['--env', 'local'], ['--env', 'staging', '--bogus']]) {
      const run = spawnSync(tsx, ['scripts/provision/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toContain('usage: npm run provision -- --env <staging|production>');
    }
  }, 60_000);
});
