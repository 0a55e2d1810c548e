/**
 * What the drill needs around the real commands: a throwaway local database seeded the way the
 * load suite seeds one, the npm commands run as an operator runs them, and a byte flipped in a file.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import { generateSeed } from '../../drizzle/seed/demo-data';
import { seedStatements, toSqlScript } from '../../drizzle/seed/statements';
import { openLocalD1 } from '../../scripts/backup/local-d1';
import { splitStatements } from '../../scripts/backup/sql-dump';
import { ROOT } from '../../scripts/local-config';
import { type Plan, planFor, type WranglerConfig } from '../../scripts/migrate/plan';

const run = promisify(execFile);

export const config = parseToml(readFileSync(resolve(ROOT, 'wrangler.toml'), 'utf8')) as WranglerConfig;
export const localPlan = (persistTo: string): Plan => planFor('local', config, { persistTo });

/** Drizzle's migrations, recorded in d1_migrations as wrangler records them. */
export async function migrate(db: D1Database, extra: string[] = []): Promise<void> {
  const dir = resolve(ROOT, 'drizzle/migrations');
  await db.exec(
    'CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)',
  );
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    const statements = readFileSync(join(dir, file), 'utf8')
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter(Boolean);
    await db.batch([...statements.map((s) => db.prepare(s)), db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').bind(file)]);
  }
  for (const name of extra) await db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').bind(name).run();
}

/** A migrated database under persistTo with the demo users and `users` generated ones. */
export async function seedDatabase(persistTo: string, users: number, extraMigrations: string[] = []): Promise<void> {
  const plan = localPlan(persistTo);
  const { db, dispose } = await openLocalD1(persistTo, plan.databaseId);
  try {
    await migrate(db, extraMigrations);
    // Literal SQL as `npm run seed` writes it: D1 caps bound parameters at 100 per statement, but
    // not literals, and wide statements make seeding 10 000 users affordable.
    const statements = splitStatements(toSqlScript(seedStatements(generateSeed({ now: Date.now(), seedUsers: users }), 1000)));
    for (let i = 0; i < statements.length; i += 20) {
      await db.batch(statements.slice(i, i + 20).map((s) => db.prepare(s)));
    }
  } finally {
    await dispose();
  }
}

export interface CommandResult {
  code: number;
  out: string;
  seconds: number;
}

/** `npm run -s <script> -- …` from the project root; never throws, the exit code is the result. */
export async function npmRun(script: string, args: string[]): Promise<CommandResult> {
  const started = performance.now();
  try {
    const { stdout, stderr } = await run('npm', ['run', '-s', script, '--', ...args], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, out: stdout + stderr, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      out: (e.stdout ?? '') + (e.stderr ?? ''),
      seconds: (performance.now() - started) / 1000,
    };
  }
}

/** Changes one byte in the middle of a file. */
export function flipOneByte(file: string): void {
  const bytes = readFileSync(file);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  writeFileSync(file, bytes);
}

export function manifestIn(dir: string): string {
  const file = readdirSync(dir).find((f) => f.endsWith('.manifest.json'));
  if (!file) throw new Error(`no manifest in ${dir}`);
  return join(dir, file);
}
