/**
 * Reads what the lint and the verification need from the target database in two wrangler
 * calls (each costs a couple of seconds of startup): the tables, then for every table its row
 * count, columns, indexes and foreign keys, plus the health checks and migration history.
 */
import { spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ROOT } from '../local-config';
import { type Bookmark, type Environment, type Plan, sqlIdent, sqlLiteral } from './plan';
import type { ForeignKeyDef } from './sql';
import type { DbSnapshot } from './verify';
import { execute } from './wrangler';

export interface TargetState extends DbSnapshot {
  /** The commit the last successful run recorded for this environment (migration_audit.detail.commit). */
  lastRecordedCommit?: string;
}

const hasSqlite3 = () => spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).status === 0;

export function readState(plan: Plan): TargetState {
  const [tableRows = []] = execute(plan, [
    // Internal tables (sqlite_*, Cloudflare's _cf_*) are neither ours nor readable.
    `SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_' AND substr(name, 1, 4) <> '_cf_' ORDER BY name`,
  ]);
  const tables = tableRows.map((r) => String(r.name));
  const perTable = tables.flatMap((t) => [
    `SELECT count(*) AS n FROM ${sqlIdent(t)}`,
    `PRAGMA table_info(${sqlIdent(t)})`,
    `PRAGMA index_list(${sqlIdent(t)})`,
    `PRAGMA foreign_key_list(${sqlIdent(t)})`,
  ]);
  const hasHistory = tables.includes(plan.migrationsTable);
  const hasAudit = tables.includes('migration_audit');
  const statements = [
    ...perTable,
    hasHistory ? `SELECT name FROM ${sqlIdent(plan.migrationsTable)} ORDER BY id` : `SELECT 1 WHERE 0`,
    hasAudit
      ? `SELECT detail FROM migration_audit WHERE environment = ${sqlLiteral(plan.env)} AND result IN ('applied', 'noop') ORDER BY id DESC LIMIT 1`
      : `SELECT 1 WHERE 0`,
    // D1 refuses PRAGMA integrity_check through its API (SQLITE_AUTH); quick_check is allowed.
    'PRAGMA quick_check',
    'PRAGMA foreign_key_check',
  ];
  const results = execute(plan, statements);
  const state: TargetState = { tables: {}, applied: [], integrity: { check: 'quick_check', result: [] }, foreignKeyViolations: [] };
  tables.forEach((t, i) => {
    const [count, info, indexes, fks] = results.slice(i * 4, i * 4 + 4);
    state.tables[t.toLowerCase()] = {
      rowCount: Number(count?.[0]?.n ?? 0),
      columns: Object.fromEntries(
        (info ?? []).map((c) => [
          String(c.name).toLowerCase(),
          { type: String(c.type ?? ''), notNull: Number(c.notnull) === 1 || Number(c.pk) > 0, hasDefault: c.dflt_value !== null },
        ]),
      ),
      indexes: (indexes ?? []).map((x) => String(x.name).toLowerCase()),
      foreignKeys: (fks ?? []).map(
        (fk): ForeignKeyDef => ({ table: String(fk.table).toLowerCase(), onDelete: String(fk.on_delete ?? 'NO ACTION').toLowerCase() }),
      ),
    };
  });
  const [history = [], audit = [], quick = [], fkCheck = []] = results.slice(tables.length * 4);
  state.applied = history.map((r) => String(r.name));
  state.integrity.result = quick.map((r) => String(Object.values(r)[0]));
  state.foreignKeyViolations = fkCheck;
  const detail = audit[0]?.detail;
  if (typeof detail === 'string') {
    try {
      const commit = (JSON.parse(detail) as { commit?: unknown }).commit;
      if (typeof commit === 'string') state.lastRecordedCommit = commit;
    } catch {
      // An older or hand-written row: no recorded commit.
    }
  }
  if (plan.env === 'local') localIntegrityCheck(plan, state);
  return state;
}

/** Locally the file is at hand: run the full integrity_check on it when the sqlite3 CLI exists. */
function localIntegrityCheck(plan: Plan, state: TargetState): void {
  const file = localDatabaseFile(plan);
  if (!existsSync(file) || !hasSqlite3()) return;
  const run = spawnSync('sqlite3', ['-readonly', file, 'PRAGMA integrity_check'], { encoding: 'utf8' });
  if (run.status === 0) state.integrity = { check: 'integrity_check', result: run.stdout.trim().split('\n') };
}

/**
 * Where wrangler keeps the local database: miniflare names a Durable Object's SQLite file after
 * the id derived from its unique key and the database id (miniflare's
 * durableObjectNamespaceIdFromName), under <persist-to>/v3/d1/ (.wrangler/state by default).
 */
export function localDatabaseFile(plan: Plan): string {
  const uniqueKey = 'miniflare-D1DatabaseObject';
  const key = createHash('sha256').update(uniqueKey).digest();
  const nameHmac = createHmac('sha256', key).update(plan.databaseId).digest().subarray(0, 16);
  const hmac = createHmac('sha256', key).update(nameHmac).digest().subarray(0, 16);
  const id = Buffer.concat([nameHmac, hmac]).toString('hex');
  return resolve(ROOT, plan.persistTo, 'v3/d1', uniqueKey, `${id}.sqlite`);
}

/**
 * A copy of the local database before applying. With the sqlite3 CLI it is SQLite's online
 * backup (consistent even while `wrangler dev` runs); without it, the file and its WAL.
 */
export function backupLocal(plan: Plan, stamp: string): Bookmark {
  const live = localDatabaseFile(plan);
  if (!existsSync(live))
    throw new Error(`No local database at ${relative(ROOT, live)}; run npm start once, or npm run migrate creates it.`);
  // Next to the state: .wrangler/backups/d1 by default.
  const root = resolve(ROOT, plan.persistTo, '..', 'backups/d1');
  const dir = resolve(root, `${plan.env}-${stamp}`);
  mkdirSync(dir, { recursive: true });
  pruneBackups(root, KEEP_LOCAL_BACKUPS);
  const backup = join(dir, 'foyer-local.sqlite');
  if (hasSqlite3()) {
    const run = spawnSync('sqlite3', [live, `.backup '${backup.replaceAll("'", "''")}'`], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`sqlite3 .backup failed: ${run.stderr.trim()}`);
    return { kind: 'local-backup', files: [{ backup: relative(ROOT, backup), live: relative(ROOT, live) }] };
  }
  const files = [{ backup, live }];
  if (existsSync(`${live}-wal`)) files.push({ backup: `${backup}-wal`, live: `${live}-wal` });
  for (const f of files) copyFileSync(f.live, f.backup);
  return { kind: 'local-backup', files: files.map((f) => ({ backup: relative(ROOT, f.backup), live: relative(ROOT, f.live) })) };
}

/** Local backups are full copies; the newest few are plenty to undo a local run. */
const KEEP_LOCAL_BACKUPS = 5;

function pruneBackups(root: string, keep: number): void {
  const runs = readdirSync(root).sort(); // names start with the ISO timestamp after the env prefix
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) rmSync(join(root, old), { recursive: true, force: true });
}

export function isEnvironment(value: string | undefined): value is Environment {
  return value === 'local' || value === 'staging' || value === 'production';
}
