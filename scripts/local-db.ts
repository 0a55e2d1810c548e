/**
 * The local D1 database that `wrangler dev` serves (state under .wrangler/state, or the
 * `--persist-to` directory): migrations applied, demo data seeded. Used by `npm start`,
 * `npm run seed` and `npm run reset`. Both steps run in this process, with no second wrangler:
 * together about 2 s for 1,003 users where `wrangler d1 migrations apply` and two
 * `wrangler d1 execute` runs took 20 to 30.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare, type V4MiniflareOptions } from 'miniflare';
import { unstable_readConfig } from 'wrangler';
import { DEFAULT_SEED_USERS, generateSeed } from '../drizzle/seed/demo-data';
import { seedStatements } from '../drizzle/seed/statements';
import { localVars, ROOT, WRANGLER_CONFIG } from './local-config';

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

/** Drizzle's migrations, recorded in `d1_migrations` the way wrangler does, so both tools agree. */
export async function applyMigrations(db: D1Database): Promise<string[]> {
  const dir = resolve(ROOT, 'drizzle/migrations');
  await db.exec(
    'CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)',
  );
  const done = new Set((await db.prepare('SELECT name FROM d1_migrations').all<{ name: string }>()).results.map((r) => r.name));
  const applied: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    if (done.has(file)) continue;
    const statements = readFileSync(join(dir, file), 'utf8')
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter(Boolean);
    await db.batch([...statements.map((s) => db.prepare(s)), db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').bind(file)]);
    applied.push(file);
  }
  return applied;
}

/**
 * Applies the migrations to the local database in this process: Miniflare with only the D1
 * binding wrangler derives from wrangler.toml, persisted where `wrangler dev` keeps it (same
 * file). About 3 s where `wrangler d1 migrations apply` took 5 to 14, and without its migrations
 * table printed once per migration or its auto-answered "continue?" prompt. Returns the line to print.
 */
export async function migrateLocal(stateDir = DEFAULT_STATE_DIR): Promise<string> {
  const config = unstable_readConfig({ config: WRANGLER_CONFIG }, { hideWarnings: true });
  // Miniflare names the database's file after this id, as it does under `wrangler dev`.
  const d1Databases = Object.fromEntries(
    config.d1_databases.map((d: { binding: string; database_id?: string; preview_database_id?: string }) => [
      d.binding,
      d.preview_database_id ?? d.database_id ?? d.binding,
    ]),
  );
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      log: new Log(LogLevel.WARN),
      telemetry: { enabled: false },
      // The placeholder `cf` object is enough for SQL; fetching the real one needs the internet.
      cf: false,
      resourcePersistencePath: join(stateDir, 'v3'),
      workers: [
        {
          name: 'migrate',
          modules: true,
          script: 'export default {}',
          compatibilityDate: config.compatibility_date,
          d1Databases,
        },
      ],
    } as V4MiniflareOptions),
  );
  try {
    const applied = await applyMigrations((await mf.getD1Database('DB')) as unknown as D1Database);
    return applied.length ? `applied migrations ${applied.join(', ')}` : 'migrations up to date';
  } finally {
    await mf.dispose();
  }
}
