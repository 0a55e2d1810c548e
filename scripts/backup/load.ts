/**
 * Loads a dump into an empty D1 database and measures what landed. Used three ways: by backup,
 * to prove the export restores and to compute its manifest from exactly the bytes archived; by
 * restore, to fill the new local database; and to check a remote backup before any remote
 * database is created.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from './archive';
import { openLocalD1 } from './local-d1';
import { isUserTable, type Measurement, measure } from './manifest';
import { loadOrder, mergeInserts, parseDump } from './sql-dump';

/** A batch is one transaction; a few merged statements per call keep each call small. */
const STATEMENTS_PER_BATCH = 20;

export type Progress = (line: string) => void;

export async function loadDump(db: D1Database, sql: string, progress: Progress): Promise<void> {
  const parts = parseDump(sql);
  if (parts.tables.length) await db.batch(parts.tables.map((s) => db.prepare(s)));
  // Cloudflare's own _cf_* tables refuse even PRAGMA reads (SQLITE_AUTH).
  const names = (await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{ name: string }>()).results
    .map((r) => r.name.toLowerCase())
    .filter(isUserTable);
  const parents: Record<string, string[]> = {};
  for (const name of names) {
    const fks = await db.prepare(`PRAGMA foreign_key_list("${name.replaceAll('"', '""')}")`).all<{ table: string }>();
    parents[name] = fks.results.map((fk) => fk.table.toLowerCase());
  }
  const withRows = [...parts.rows.keys()];
  const total = [...parts.rows.values()].reduce((n, rows) => n + rows.length, 0);
  let done = 0;
  let lastReport = performance.now();
  for (const table of loadOrder(withRows, parents)) {
    const rows = parts.rows.get(table) ?? [];
    if (table === 'sqlite_sequence') await db.prepare('DELETE FROM sqlite_sequence').run();
    const merged = mergeInserts(table, rows);
    for (let i = 0; i < merged.length; i += STATEMENTS_PER_BATCH) {
      // Deferred foreign keys are checked at the batch's commit, so rows of one batch may point at each other.
      await db.batch([
        db.prepare('PRAGMA defer_foreign_keys = TRUE'),
        ...merged.slice(i, i + STATEMENTS_PER_BATCH).map((s) => db.prepare(s)),
      ]);
      done = Math.min(total, done + Math.round((rows.length * Math.min(STATEMENTS_PER_BATCH, merged.length - i)) / merged.length));
      if (performance.now() - lastReport > 2000) {
        progress(`loaded ${done}/${total} rows (${Math.round((100 * done) / Math.max(total, 1))} %)`);
        lastReport = performance.now();
      }
    }
  }
  if (parts.rest.length) await db.batch(parts.rest.map((s) => db.prepare(s)));
  progress(`loaded ${total} rows into ${withRows.length} tables`);
}

export interface Health {
  /** `PRAGMA quick_check` through D1 (D1 refuses integrity_check with SQLITE_AUTH). */
  quickCheck: string[];
  foreignKeyViolations: number;
}

export async function checkHealth(db: D1Database): Promise<Health> {
  const quick = await db.prepare('PRAGMA quick_check').raw<[string]>();
  const fk = await db.prepare('PRAGMA foreign_key_check').raw();
  return { quickCheck: quick.map(([r]) => String(r)), foreignKeyViolations: fk.length };
}

/** Loads the dump into a throwaway database, measures it and removes it. */
export async function measureDump(sql: string, progress: Progress): Promise<Measurement & { health: Health }> {
  const dir = mkdtempSync(join(tmpdir(), 'foyer-backup-check-'));
  const scratch = await openLocalD1(dir, 'backup-check');
  try {
    await loadDump(scratch.db, sql, progress);
    return { ...(await measure(scratch.db, sha256)), health: await checkHealth(scratch.db) };
  } finally {
    await scratch.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
