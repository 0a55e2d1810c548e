/**
 * The local D1 database that `wrangler dev` serves (state under .wrangler/state, or the
 * `--persist-to` directory): migrations applied, demo data seeded. Used by `npm start`,
 * `npm run seed` and `npm run reset`.
 *
 * The seed goes straight into the database's SQLite file (node:sqlite, one transaction): two
 * `wrangler d1 execute` runs took about 15 s for 1,003 users, this takes a few.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DEFAULT_SEED_USERS, generateSeed } from '../drizzle/seed/demo-data';
import { seedStatements } from '../drizzle/seed/statements';
import { localVars, ROOT } from './local-config';

/** SQLite binds up to 32 766 parameters; D1's limit of 100 does not apply to the file. */
const SQLITE_PARAMS = 10_000;

/** wrangler's local state directory (`--persist-to`, default .wrangler/state). */
export const DEFAULT_STATE_DIR = resolve(ROOT, '.wrangler/state');

/**
 * The SQLite file of the local D1 database under a wrangler state directory. Miniflare names it
 * after a hash of the database id; a state dir that once held another id keeps that file too, so
 * the newest one is the database wrangler last touched (the migrations, just before).
 */
export function localD1File(stateDir = DEFAULT_STATE_DIR): string | undefined {
  const dir = join(stateDir, 'v3/d1/miniflare-D1DatabaseObject');
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite')
    .map((f) => join(dir, f));
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

/** Seeds the local database in `stateDir`; returns the line to print. Throws when it has no tables yet. */
export function seedLocal(options: { stateDir?: string; seedUsers?: number } = {}): string {
  const vars = localVars();
  const seedUsers = options.seedUsers ?? Number(process.env.SEED_USERS ?? vars.SEED_USERS ?? DEFAULT_SEED_USERS);
  if (!Number.isInteger(seedUsers) || seedUsers < 0) throw new Error(`SEED_USERS must be a whole number, got ${seedUsers}`);
  const file = localD1File(options.stateDir);
  const noTables = new Error(
    'The local database has no users table: apply the migrations first (npm start does, or npm run migrate -- --env local).',
  );
  if (!file) throw noTables;
  const started = performance.now();
  const db = new DatabaseSync(file);
  try {
    let present: number;
    try {
      present = Number((db.prepare("select count(*) as n from users where id like 'user-%'").get() as { n: number }).n);
    } catch {
      throw noTables;
    }
    const withGenerated = present !== seedUsers;
    const data = generateSeed({ now: Date.now(), seedUsers: withGenerated ? seedUsers : 0 });
    db.exec('begin');
    try {
      for (const s of seedStatements(data, SQLITE_PARAMS)) db.prepare(s.sql).run(...s.params);
      db.exec('commit');
    } catch (err) {
      db.exec('rollback');
      throw err;
    }
    return (
      `seeded ${data.users.length} users, ${data.tasks.length} tasks, ${data.events.length} events in ${((performance.now() - started) / 1000).toFixed(1)} s` +
      (withGenerated ? '' : ` (the ${seedUsers} generated users were already there)`)
    );
  } finally {
    db.close();
  }
}

/**
 * `wrangler d1 migrations apply` with its output kept back: it prints the migrations table once
 * per migration and, with no terminal, answers its own "continue?" prompt in the log. Returns
 * the line to print; on failure throws with wrangler's whole output.
 */
export function migrateLocal(stateDir?: string): string {
  const persist = stateDir ? ['--persist-to', stateDir] : [];
  try {
    const out = execFileSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', ...persist], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const applied = [...new Set(out.match(/\b\d{4}_[\w-]+\.sql\b/g) ?? [])];
    return applied.length ? `applied migrations ${applied.join(', ')}` : 'migrations up to date';
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${stdout ?? ''}${stderr ?? ''}applying the D1 migrations failed (above).`);
  }
}
