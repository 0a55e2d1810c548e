/**
 * The exact wrangler command lines backup and restore run against remote environments. Pure,
 * so the commands printed to an operator, run by CI and checked by test/backup/commands.test.ts
 * are the same strings. Commands whose output is parsed get `--json` appended by the runner
 * (scripts/migrate/wrangler.ts). Every remote command names the environment (bindings are per
 * environment) and says --remote: since wrangler 4, d1 and r2 commands default to local state.
 */
import { DB_BINDING, type Environment } from '../migrate/plan';
import { R2_EXPIRY_DAYS } from './retention';

type Remote = Exclude<Environment, 'local'>;

/** `wrangler d1 export`: a consistent snapshot taken by D1 itself (https://developers.cloudflare.com/d1/best-practices/import-export-data/). */
export function exportCommand(env: Remote, output: string): string[] {
  return ['d1', 'export', DB_BINDING, '--env', env, '--remote', '--output', output, '--skip-confirmation'];
}

/** The Time Travel bookmark at this moment (https://developers.cloudflare.com/d1/reference/time-travel/). */
export function bookmarkCommand(env: Remote, timestamp?: string): string[] {
  return ['d1', 'time-travel', 'info', DB_BINDING, '--env', env, ...(timestamp ? ['--timestamp', timestamp] : [])];
}

/** A new, empty database for the restore; the live one is untouched. */
export function createDatabaseCommand(name: string): string[] {
  return ['d1', 'create', name];
}

/** `wrangler d1 create` prints the new database's id in the config snippet it suggests (TOML or JSON). */
export function databaseIdFrom(output: string): string | undefined {
  return /"?database_id"?\s*[:=]\s*"([0-9a-f-]{36})"/.exec(output)?.[1];
}

/** Loads a dump into a database by name (one not in wrangler.toml is looked up through the API). */
export function importCommand(database: string, file: string, env: Remote): string[] {
  return ['d1', 'execute', database, '--env', env, '--remote', '--file', file, '--yes'];
}

/** Runs SQL on a database by name and prints JSON. */
export function queryCommand(database: string, sql: string, env: Remote): string[] {
  return ['d1', 'execute', database, '--env', env, '--remote', '--command', sql];
}

/** Exports a database by name (to measure a restored copy the same way as the backup). */
export function exportByNameCommand(database: string, env: Remote, output: string): string[] {
  return ['d1', 'export', database, '--env', env, '--remote', '--output', output, '--skip-confirmation'];
}

/** Time Travel in place: the live database goes back to a bookmark or a moment (within 30 days). */
export function timeTravelRestoreCommand(env: Remote, target: { bookmark: string } | { timestamp: string }): string[] {
  return [
    'd1',
    'time-travel',
    'restore',
    DB_BINDING,
    '--env',
    env,
    ...('bookmark' in target ? ['--bookmark', target.bookmark] : ['--timestamp', target.timestamp]),
  ];
}

export interface R2Target {
  bucket: string;
  prefix: string;
}

/** `--to-r2 <bucket>/<prefix>`: the prefix may be empty or nested. */
export function parseR2Target(value: string): R2Target {
  const m = /^([a-z0-9][a-z0-9-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(value);
  if (!m) {
    throw new Error(
      `--to-r2 expects <bucket>/<prefix>, with an R2 bucket name (lowercase letters, digits, hyphens), got "${value}". Example: --to-r2 foyer-backups-production/d1`,
    );
  }
  return { bucket: m[1] ?? '', prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

export function r2Key(target: R2Target, ...parts: string[]): string {
  return [target.prefix, ...parts].filter(Boolean).join('/');
}

/** Local R2 lives in the same --persist-to state as local D1, so `wrangler dev` sees it. */
function r2Where(env: Environment, persistTo: string | undefined): string[] {
  if (env !== 'local') return ['--env', env, '--remote'];
  return persistTo ? ['--local', '--persist-to', persistTo] : ['--local'];
}

export function r2PutCommand(
  env: Environment,
  bucket: string,
  key: string,
  file: string,
  contentType: string,
  persistTo?: string,
): string[] {
  return ['r2', 'object', 'put', `${bucket}/${key}`, '--file', file, '--content-type', contentType, ...r2Where(env, persistTo)];
}

export function r2GetCommand(env: Environment, bucket: string, key: string, file: string, persistTo?: string): string[] {
  return ['r2', 'object', 'get', `${bucket}/${key}`, '--file', file, ...r2Where(env, persistTo)];
}

/** One-time setup: R2 deletes old backups by prefix, so retention needs no listing (https://developers.cloudflare.com/r2/buckets/object-lifecycles/). */
export function r2LifecycleCommands(target: R2Target): string[][] {
  return (Object.keys(R2_EXPIRY_DAYS) as (keyof typeof R2_EXPIRY_DAYS)[]).map((tier) => [
    'r2',
    'bucket',
    'lifecycle',
    'add',
    target.bucket,
    `expire-${tier}`,
    `${r2Key(target, tier)}/`,
    '--expire-days',
    String(R2_EXPIRY_DAYS[tier]),
    '--force',
  ]);
}
