import { describe, expect, it } from 'vitest';
import {
  bookmarkCommand,
  createDatabaseCommand,
  databaseIdFrom,
  exportCommand,
  importCommand,
  parseR2Target,
  queryCommand,
  r2GetCommand,
  r2LifecycleCommands,
  r2PutCommand,
  timeTravelRestoreCommand,
} from '../../scripts/backup/commands';

/** The remote paths cannot run here (no Cloudflare account); these are the exact lines they run. */
describe('remote backup and restore command lines', () => {
  it('exports the production database remotely, named by its binding and environment', () => {
    expect(exportCommand('production', '/tmp/x.sql').join(' ')).toBe(
      'd1 export DB --env production --remote --output /tmp/x.sql --skip-confirmation',
    );
  });

  it('reads the Time Travel bookmark of that environment, now or at a moment', () => {
    expect(bookmarkCommand('staging').join(' ')).toBe('d1 time-travel info DB --env staging');
    expect(bookmarkCommand('production', '2026-11-30T10:00:00Z').join(' ')).toBe(
      'd1 time-travel info DB --env production --timestamp 2026-11-30T10:00:00Z',
    );
  });

  it('creates a new database and imports into it by name, never into the live binding', () => {
    expect(createDatabaseCommand('foyer-production-restore-202611301000').join(' ')).toBe(
      'd1 create foyer-production-restore-202611301000',
    );
    const imported = importCommand('foyer-production-restore-202611301000', '/tmp/r.sql', 'production');
    expect(imported.join(' ')).toBe('d1 execute foyer-production-restore-202611301000 --env production --remote --file /tmp/r.sql --yes');
    expect(imported).not.toContain('DB');
    expect(queryCommand('foyer-x', 'PRAGMA quick_check', 'staging')).toEqual([
      'd1',
      'execute',
      'foyer-x',
      '--env',
      'staging',
      '--remote',
      '--command',
      'PRAGMA quick_check',
    ]);
  });

  it('restores in place with Time Travel only by bookmark or timestamp', () => {
    expect(
      timeTravelRestoreCommand('production', { bookmark: '00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683' }).join(' '),
    ).toBe('d1 time-travel restore DB --env production --bookmark 00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683');
    expect(timeTravelRestoreCommand('staging', { timestamp: '2026-11-30T10:00:00Z' }).join(' ')).toBe(
      'd1 time-travel restore DB --env staging --timestamp 2026-11-30T10:00:00Z',
    );
  });

  it('reads the new database id from what wrangler d1 create prints, TOML or JSON', () => {
    const toml = '[[d1_databases]]\nbinding = "DB"\ndatabase_name = "foyer-x"\ndatabase_id = "0d5e2f3a-1b2c-4d5e-8f90-123456789abc"\n';
    const json = '{ "d1_databases": [{ "binding": "DB", "database_id": "0d5e2f3a-1b2c-4d5e-8f90-123456789abc" }] }';
    expect(databaseIdFrom(toml)).toBe('0d5e2f3a-1b2c-4d5e-8f90-123456789abc');
    expect(databaseIdFrom(json)).toBe('0d5e2f3a-1b2c-4d5e-8f90-123456789abc');
    expect(databaseIdFrom('error: quota exceeded')).toBeUndefined();
  });
});

describe('R2', () => {
  it('parses --to-r2 <bucket>/<prefix>, and says what is wrong with a bad one', () => {
    expect(parseR2Target('foyer-backups-production/d1')).toEqual({ bucket: 'foyer-backups-production', prefix: 'd1' });
    expect(parseR2Target('foyer-backups-staging')).toEqual({ bucket: 'foyer-backups-staging', prefix: '' });
    expect(parseR2Target('foyer-backups-staging/a/b/')).toEqual({ bucket: 'foyer-backups-staging', prefix: 'a/b' });
    expect(() => parseR2Target('Foyer_Backups/d1')).toThrow(
      /--to-r2 expects <bucket>\/<prefix>.*Example: --to-r2 foyer-backups-production\/d1/,
    );
  });

  it('uploads remotely with --remote (wrangler 4 defaults r2 commands to local state)', () => {
    expect(
      r2PutCommand('production', 'foyer-backups-production', 'd1/hourly/a.sql.gz', '/tmp/a.sql.gz', 'application/gzip').join(' '),
    ).toBe(
      'r2 object put foyer-backups-production/d1/hourly/a.sql.gz --file /tmp/a.sql.gz --content-type application/gzip --env production --remote',
    );
    expect(r2GetCommand('staging', 'foyer-backups-staging', 'd1/a.manifest.json', '/tmp/m.json').join(' ')).toBe(
      'r2 object get foyer-backups-staging/d1/a.manifest.json --file /tmp/m.json --env staging --remote',
    );
  });

  it('keeps local uploads in the same state directory as local D1', () => {
    expect(r2PutCommand('local', 'foyer-backups-local', 'k', 'f', 'application/json', '.ci/state').slice(-3)).toEqual([
      '--local',
      '--persist-to',
      '.ci/state',
    ]);
    expect(r2PutCommand('local', 'foyer-backups-local', 'k', 'f', 'application/json').slice(-1)).toEqual(['--local']);
  });

  it('sets up one lifecycle rule per retention tier, under the prefix', () => {
    expect(r2LifecycleCommands({ bucket: 'foyer-backups-production', prefix: 'd1' }).map((c) => c.join(' '))).toEqual([
      'r2 bucket lifecycle add foyer-backups-production expire-hourly d1/hourly/ --expire-days 2 --force',
      'r2 bucket lifecycle add foyer-backups-production expire-daily d1/daily/ --expire-days 8 --force',
      'r2 bucket lifecycle add foyer-backups-production expire-weekly d1/weekly/ --expire-days 29 --force',
    ]);
  });
});
