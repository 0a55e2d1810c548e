/**
 * The local half of backup and restore, on SQLite files with node:sqlite: export the local D1
 * file, load a dump into a database (in memory to prove and measure it, or a new file for a
 * local restore), measure it and check its health. Going through a Miniflare D1 binding instead
 * cost one RPC per 20 statements (about 150 s per 1 000-user backup); here the same work is a
 * few seconds. Remote environments still export and import with wrangler (restore.ts).
 */
import { rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { sha256 } from './archive';
import { isUserTable, type Measurement, rowExpression, sumRowHashes } from './manifest';
import { loadOrder, parseDump } from './sql-dump';

export type Progress = (line: string) => void;

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

function rows(db: DatabaseSync, sql: string): unknown[][] {
  const statement = db.prepare(sql);
  statement.setReturnArrays(true);
  // Integers above 2^53 stay exact.
  statement.setReadBigInts(true);
  return statement.all() as unknown as unknown[][];
}

/** A text value as `wrangler d1 export` writes it: newlines spelled out, so every statement is one line. */
function quoteText(text: string): string {
  let lf = false;
  let cr = false;
  let out = `'${text.replace(/'|(\n)|(\r)/g, (_, n, r) => {
    if (n) {
      lf = true;
      return '\\n';
    }
    if (r) {
      cr = true;
      return '\\r';
    }
    return "''";
  })}'`;
  if (cr) out = `replace(${out},'\\r',char(13))`;
  if (lf) out = `replace(${out},'\\n',char(10))`;
  return out;
}

function literal(cell: unknown): string {
  if (cell === null) return 'NULL';
  if (typeof cell === 'bigint') return cell.toString();
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : cell > 0 ? '9e999' : '-9e999';
  if (typeof cell === 'string') return quoteText(cell);
  if (cell instanceof Uint8Array) return `X'${Buffer.from(cell).toString('hex')}'`;
  throw new Error(`unexpected SQLite value ${String(cell)}`);
}

/**
 * The SQL `wrangler d1 export --local` writes (Miniflare's dumpSql, same statements in the same
 * order), read from the database file in one read transaction, so one snapshot even while
 * `wrangler dev` writes to it.
 */
export function dumpDatabase(file: string): string {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    db.exec('BEGIN');
    const out = ['PRAGMA defer_foreign_keys=TRUE;'];
    const tables = rows(
      db,
      "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql NOT NULL ORDER BY tbl_name = 'sqlite_sequence', rowid",
    ) as [string, string][];
    for (const [table, sql] of tables) {
      if (table === 'sqlite_sequence') out.push('DELETE FROM sqlite_sequence;');
      else if (/^sqlite_stat./.test(table)) out.push('ANALYZE sqlite_schema;');
      else {
        if (sql.startsWith('CREATE VIRTUAL TABLE')) throw new Error('cannot export databases with virtual tables (fts5)');
        if (!isUserTable(table)) continue;
        out.push(/^CREATE TABLE ['"]/.test(sql) ? `CREATE TABLE IF NOT EXISTS ${sql.substring(13)};` : `${sql};`);
      }
      const columns = (rows(db, `PRAGMA table_info(${ident(table)})`) as [bigint, string][]).map(([, name]) => ident(name));
      const prefix = `INSERT INTO ${ident(table)} (${columns.join(',')}) VALUES(`;
      for (const row of rows(db, `SELECT ${columns.join(', ')} FROM ${ident(table)}`)) out.push(`${prefix}${row.map(literal).join(',')});`);
    }
    for (const [sql] of rows(
      db,
      "SELECT sql FROM sqlite_schema WHERE sql NOT NULL AND type IN ('index', 'trigger', 'view') ORDER BY type COLLATE NOCASE",
    ) as [string][])
      out.push(`${sql};`);
    db.exec('COMMIT');
    return out.join('\n');
  } finally {
    db.close();
  }
}

/**
 * Loads a dump into an empty database: only its CREATE and INSERT statements run (the framing a
 * fresh database does not need is left out), in one transaction, parents before children.
 */
export function loadDump(db: DatabaseSync, sql: string, progress: Progress): number {
  const parts = parseDump(sql);
  db.exec('BEGIN');
  try {
    for (const s of parts.tables) db.exec(s);
    const names = (rows(db, "SELECT name FROM sqlite_schema WHERE type = 'table'") as [string][])
      .map(([n]) => n.toLowerCase())
      .filter(isUserTable);
    const parents: Record<string, string[]> = {};
    for (const name of names) {
      parents[name] = (db.prepare(`PRAGMA foreign_key_list(${ident(name)})`).all() as { table: string }[]).map((fk) =>
        fk.table.toLowerCase(),
      );
    }
    let total = 0;
    for (const table of loadOrder([...parts.rows.keys()], parents)) {
      const list = parts.rows.get(table) ?? [];
      if (table === 'sqlite_sequence') db.exec('DELETE FROM sqlite_sequence');
      // One exec per table: SQLite parses the statements itself, with no round trip per row.
      db.exec(list.join(';\n'));
      total += list.length;
    }
    for (const s of parts.rest) db.exec(s);
    db.exec('COMMIT');
    progress(`loaded ${total} rows into ${parts.rows.size} tables`);
    return total;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

/** Row counts, per-table checksums and the migration level, as manifest.ts defines them. */
export function measureDatabase(db: DatabaseSync): Measurement {
  const tables = (rows(db, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name") as [string][])
    .map(([n]) => n)
    .filter(isUserTable);
  const out: Measurement = { tables: {}, migrations: [] };
  for (const table of tables) {
    const columns = (db.prepare(`PRAGMA table_info(${ident(table)})`).all() as { name: string }[]).map((c) => c.name);
    const statement = db.prepare(`SELECT ${rowExpression(columns)} AS r FROM ${ident(table)}`);
    statement.setReturnArrays(true);
    let count = 0;
    const checksum = sumRowHashes(
      (function* () {
        for (const [r] of statement.iterate() as unknown as Iterable<[string]>) {
          count++;
          yield r;
        }
      })(),
      sha256,
    );
    out.tables[table.toLowerCase()] = { rows: count, checksum };
  }
  if (tables.includes('d1_migrations'))
    out.migrations = (rows(db, 'SELECT name FROM d1_migrations ORDER BY id') as [string][]).map(([n]) => n);
  return out;
}

export interface Health {
  /** The full `PRAGMA integrity_check` (D1's API allows only quick_check; the file is at hand here). */
  integrity: string[];
  foreignKeyViolations: number;
}

export function checkHealth(db: DatabaseSync): Health {
  return {
    integrity: rows(db, 'PRAGMA integrity_check').map(([r]) => String(r)),
    foreignKeyViolations: rows(db, 'PRAGMA foreign_key_check').length,
  };
}

export function healthProblems(health: Health): string[] {
  return [
    ...health.integrity.filter((r) => r !== 'ok').map((r) => `integrity_check: ${r}`),
    ...(health.foreignKeyViolations ? [`foreign_key_check: ${health.foreignKeyViolations} violation(s)`] : []),
  ];
}

/** Loads the dump into an in-memory database and measures it: what a restore of it would hold. */
export function measureDump(sql: string, progress: Progress): Measurement & { health: Health } {
  // Foreign keys are checked once, after the load, with foreign_key_check (a dump's order may not be the parents' order).
  const db = new DatabaseSync(':memory:', { enableForeignKeyConstraints: false });
  try {
    loadDump(db, sql, progress);
    return { ...measureDatabase(db), health: checkHealth(db) };
  } finally {
    db.close();
  }
}

/**
 * Writes the dump into a new SQLite file and measures what is in the file. A failure leaves no
 * file behind, so a retry starts clean.
 */
export function buildDatabase(sql: string, file: string, progress: Progress): Measurement & { health: Health } {
  const memory = new DatabaseSync(':memory:', { enableForeignKeyConstraints: false });
  try {
    loadDump(memory, sql, progress);
    // VACUUM INTO writes a compact copy in one step and refuses an existing file.
    memory.prepare('VACUUM INTO ?').run(file);
  } catch (err) {
    for (const f of [file, `${file}-journal`]) rmSync(f, { force: true });
    throw err;
  } finally {
    memory.close();
  }
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return { ...measureDatabase(db), health: checkHealth(db) };
  } finally {
    db.close();
  }
}
