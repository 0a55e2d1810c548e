/**
 * Which database an environment means and the exact wrangler commands for it: apply, the
 * bookmark to take first, and the way back. Pure, so the commands printed to an operator are
 * the ones the tests check.
 */

export const ENVIRONMENTS = ['local', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The binding the worker uses; `wrangler d1 …` accepts it in place of the database name. */
export const DB_BINDING = 'DB';

interface D1Config {
  binding: string;
  database_name?: string;
  database_id?: string;
  preview_database_id?: string;
  migrations_dir?: string;
  migrations_table?: string;
}

export interface WranglerConfig {
  d1_databases?: D1Config[];
  env?: Record<string, { d1_databases?: D1Config[] }>;
}

export interface Plan {
  env: Environment;
  remote: boolean;
  databaseName: string;
  databaseId: string;
  migrationsDir: string;
  migrationsTable: string;
  /** Arguments after `wrangler d1 <command> DB` that pick this environment's database. */
  target: string[];
  /** Local state directory (wrangler's --persist-to), relative to the project; local only. */
  persistTo: string;
  applyCommand: string[];
}

/**
 * @example planFor('staging', config).applyCommand // ['wrangler','d1','migrations','apply','DB','--env','staging','--remote']
 */
export function planFor(env: Environment, config: WranglerConfig, options: { persistTo?: string } = {}): Plan {
  if (options.persistTo && env !== 'local') throw new Error('--persist-to only applies to --env local.');
  // The local default is wrangler.toml's top level: there is no [env.local].
  const databases = env === 'local' ? config.d1_databases : config.env?.[env]?.d1_databases;
  const db = databases?.find((d) => d.binding === DB_BINDING);
  if (!db) {
    throw new Error(
      `wrangler.toml has no D1 binding "${DB_BINDING}" for ${env === 'local' ? 'the top level' : `[env.${env}]`}; add one (see docs/deployment.md).`,
    );
  }
  const databaseId = (env === 'local' ? (db.preview_database_id ?? db.database_id) : db.database_id) ?? '';
  if (env !== 'local' && (!databaseId || databaseId.startsWith('REPLACE_WITH'))) {
    throw new Error(
      `[env.${env}] still has the placeholder database_id "${databaseId}". Run \`npm run provision -- --env ${env}\`: it creates ${db.database_name ?? `foyer-${env}`} if missing and writes its id into wrangler.toml (docs/deployment.md, first-time setup).`,
    );
  }
  const persistTo = options.persistTo ?? '.wrangler/state';
  const target = env !== 'local' ? ['--env', env, '--remote'] : options.persistTo ? ['--local', '--persist-to', persistTo] : ['--local'];
  return {
    env,
    remote: env !== 'local',
    databaseName: db.database_name ?? DB_BINDING,
    databaseId,
    migrationsDir: db.migrations_dir ?? 'migrations',
    migrationsTable: db.migrations_table ?? 'd1_migrations',
    target,
    persistTo,
    applyCommand: ['wrangler', 'd1', 'migrations', 'apply', DB_BINDING, ...target],
  };
}

/** Where the run can go back to. */
export type Bookmark = { kind: 'time-travel'; bookmark: string } | { kind: 'local-backup'; files: { backup: string; live: string }[] };

export function bookmarkLabel(b: Bookmark): string {
  return b.kind === 'time-travel' ? b.bookmark : (b.files[0]?.backup ?? '');
}

function shellQuote(s: string): string {
  return /^[\w./:=@-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The one command that puts the database back where the bookmark was. */
export function restoreCommand(plan: Plan, bookmark: Bookmark): string {
  if (bookmark.kind === 'time-travel') {
    return `npx wrangler d1 time-travel restore ${DB_BINDING} --env ${plan.env} --bookmark=${bookmark.bookmark}`;
  }
  const live = bookmark.files[0]?.live ?? '';
  const copies = bookmark.files.map((f) => `cp ${shellQuote(f.backup)} ${shellQuote(f.live)}`);
  // A stale -wal/-shm next to the restored file would replay newer pages over it.
  const stale = ['-wal', '-shm'].filter((suffix) => !bookmark.files.some((f) => f.live === live + suffix)).map((s) => shellQuote(live + s));
  return [...copies, ...(stale.length ? [`rm -f ${stale.join(' ')}`] : [])].join(' && ');
}

/** What an operator does when the run fails, in order. */
export function rollbackSteps(plan: Plan, bookmark: Bookmark | undefined): string[] {
  const steps: string[] = [];
  if (plan.remote) {
    steps.push(
      `Do not deploy: the code of this release expects the new schema. If it already went out, roll the code back first: npx wrangler rollback --env ${plan.env}`,
    );
  } else {
    steps.push('Stop the local server (npm start / wrangler dev) so nothing holds the database file.');
  }
  if (bookmark) {
    steps.push(`Restore the database to the bookmark taken before applying:\n      ${restoreCommand(plan, bookmark)}`);
    if (plan.remote) {
      steps.push(
        'Writes made after the bookmark are lost by the restore; for an additive migration, fixing forward with a new migration is often better.',
      );
    }
  } else {
    steps.push('No bookmark was taken, so nothing was applied: fix the migration and run npm run migrate again.');
  }
  steps.push(`Check the state: npx wrangler d1 migrations list ${DB_BINDING} ${plan.target.join(' ')}`);
  return steps;
}

/**
 * A SQL string literal for `wrangler d1 execute --command`, which takes no bound parameters.
 * Quotes are doubled, which is the whole of SQLite's escaping for string literals.
 */
export function sqlLiteral(value: string | null): string {
  if (value === null) return 'NULL';
  if (value.includes('\0')) throw new Error('A NUL character cannot go into a SQL literal.');
  return `'${value.replaceAll("'", "''")}'`;
}

export interface AuditRow {
  migration: string;
  environment: Environment;
  actor: string;
  bookmark: string | null;
  result: 'applied' | 'failed' | 'noop';
  detail: Record<string, unknown>;
}

/** One INSERT for every row, run as a single `wrangler d1 execute` (one implicit transaction). */
export function auditInsertSql(rows: readonly AuditRow[]): string {
  const values = rows.map((r) =>
    [r.migration, r.environment, r.actor, r.bookmark, r.result, JSON.stringify(r.detail)].map(sqlLiteral).join(', '),
  );
  return `INSERT INTO migration_audit (migration, environment, actor, bookmark, result, detail) VALUES ${values.map((v) => `(${v})`).join(', ')};`;
}

/** A quoted identifier for PRAGMA and SELECT over table names read from sqlite_master. */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
