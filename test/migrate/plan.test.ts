import { env } from 'cloudflare:workers';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { auditInsertSql, planFor, restoreCommand, rollbackSteps, sqlLiteral, type WranglerConfig } from '../../scripts/migrate/plan';
import wranglerToml from '../../wrangler.toml?raw';

const config = parse(wranglerToml) as WranglerConfig;
const withIds: WranglerConfig = {
  ...config,
  env: {
    staging: {
      d1_databases: [{ binding: 'DB', database_name: 'foyer-staging', database_id: 'a1b2', migrations_dir: 'drizzle/migrations' }],
    },
  },
};

describe('planFor', () => {
  it('applies locally with --local and remotely with --env <env> --remote', () => {
    expect(planFor('local', config).applyCommand).toEqual(['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local']);
    expect(planFor('local', config).migrationsDir).toBe('drizzle/migrations');
    expect(planFor('local', config, { persistTo: '.ci/state' }).target).toEqual(['--local', '--persist-to', '.ci/state']);
    expect(() => planFor('staging', withIds, { persistTo: '.ci/state' })).toThrow(/only applies to --env local/);
    expect(planFor('staging', withIds).applyCommand).toEqual([
      'wrangler',
      'd1',
      'migrations',
      'apply',
      'DB',
      '--env',
      'staging',
      '--remote',
    ]);
  });

  it('refuses a placeholder database id and says how to get a real one', () => {
    expect(() => planFor('production', config)).toThrow(
      /placeholder database_id "REPLACE_WITH_PRODUCTION_D1_ID".*npm run provision -- --env production`: it creates foyer-production/,
    );
  });

  it('prints the exact restore command for a bookmark or a local backup', () => {
    expect(
      restoreCommand(planFor('staging', withIds), {
        kind: 'time-travel',
        bookmark: '00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683',
      }),
    ).toBe('npx wrangler d1 time-travel restore DB --env staging --bookmark=00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683');
    const local = restoreCommand(planFor('local', config), {
      kind: 'local-backup',
      files: [{ backup: '.wrangler/backups/d1/x/db.sqlite', live: '.wrangler/state/db.sqlite' }],
    });
    expect(local).toBe(
      'cp .wrangler/backups/d1/x/db.sqlite .wrangler/state/db.sqlite && rm -f .wrangler/state/db.sqlite-wal .wrangler/state/db.sqlite-shm',
    );
  });

  it('tells an operator to roll code back before restoring schema', () => {
    const steps = rollbackSteps(planFor('staging', withIds), { kind: 'time-travel', bookmark: 'b1' });
    expect(steps[0]).toContain('npx wrangler rollback --env staging');
    expect(steps[1]).toContain('--bookmark=b1');
  });
});

describe('audit rows', () => {
  it('quote any text safely and land in migration_audit', async () => {
    expect(sqlLiteral("it's")).toBe("'it''s'");
    const sql = auditInsertSql([
      {
        migration: '0001_x.sql',
        environment: 'local',
        actor: "o'brien@example.com",
        bookmark: null,
        result: 'applied',
        detail: { reason: `"quoted" and 'single'); DROP TABLE users; --` },
      },
    ]);
    await env.DB.prepare(sql).run();
    const row = await env.DB.prepare('SELECT actor, bookmark, result, detail FROM migration_audit ORDER BY id DESC LIMIT 1').first<
      Record<string, string | null>
    >();
    expect(row).toEqual({
      actor: "o'brien@example.com",
      bookmark: null,
      result: 'applied',
      detail: JSON.stringify({ reason: `"quoted" and 'single'); DROP TABLE users; --` }),
    });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'users'").first('n')).toBe(1);
  });
});
