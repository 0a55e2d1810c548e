/**
 * What a backup claims about itself, and how a database is measured against that claim.
 *
 * Checksum method (order-independent, documented in docs/disaster-recovery.md): for every row
 * SQLite renders each column with `quote()` (its own canonical SQL literal: integers and reals as
 * SQLite prints them, text quoted with '' escaping, blobs as X'hex', NULL), columns in
 * name order, joined with ","; the row's SHA-256 is read as a 256-bit unsigned integer and the
 * table's checksum is the sum of its rows' values modulo 2^256, as 64 hex digits. A sum (unlike
 * XOR) does not cancel two identical rows, and no ORDER BY is needed, so a restore that writes
 * rows in another order, or a database that stores them on other pages, gives the same value.
 */
import { z } from 'zod';
import { ENVIRONMENTS } from '../migrate/plan';

/** 2: signed (signing.ts). Format 1 manifests had no signature and are refused. */
export const MANIFEST_FORMAT = 2;

const tableSummary = z.object({ rows: z.number().int().nonnegative(), checksum: z.string().regex(/^[0-9a-f]{64}$/) });

export const manifestSchema = z.object({
  format: z.number().int().positive(),
  environment: z.enum(ENVIRONMENTS),
  database: z.string(),
  createdAt: z.iso.datetime(),
  /** D1 Time Travel bookmark at the time of the export (remote); null locally. */
  bookmark: z.string().nullable(),
  /** Names in d1_migrations, oldest first: the schema level. */
  migrations: z.array(z.string()),
  tables: z.record(z.string(), tableSummary),
  archive: z.object({
    file: z.string(),
    bytes: z.number().int().nonnegative(),
    sqlBytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  commit: z.string(),
  /** HMAC-SHA-256 over every other field (signing.ts); optional here so that restore can say "unsigned" itself. */
  signature: z.object({ alg: z.string(), keyId: z.string(), value: z.string() }).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type TableSummary = z.infer<typeof tableSummary>;

/** What a database holds, measured the same way for the backup and for the restored copy. */
export interface Measurement {
  tables: Record<string, TableSummary>;
  migrations: string[];
}

/** Tables a backup covers: everything but SQLite's and Cloudflare's internal tables. */
export function isUserTable(name: string): boolean {
  return !name.startsWith('sqlite_') && !name.startsWith('_cf_');
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** One row as the checksum sees it: every column `quote()`d, columns in name order, joined with ','. */
export function rowExpression(columns: string[]): string {
  return [...columns]
    .sort()
    .map((c) => `quote(${ident(c)})`)
    .join(` || ',' || `);
}

const MOD = 1n << 256n;

/** @example sumRowHashes(['a', 'b']) === sumRowHashes(['b', 'a']) // true */
export function sumRowHashes(rows: Iterable<string>, hash: (row: string) => string): string {
  let sum = 0n;
  for (const row of rows) sum = (sum + BigInt(`0x${hash(row)}`)) % MOD;
  return sum.toString(16).padStart(64, '0');
}

/** Reads row counts, per-table checksums and the migration level of a D1 database. */
export async function measure(db: D1Database, hash: (row: string) => string): Promise<Measurement> {
  const { results } = await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all<{ name: string }>();
  const tables = results.map((r) => r.name).filter(isUserTable);
  const out: Measurement = { tables: {}, migrations: [] };
  for (const table of tables) {
    const columns = (await db.prepare(`PRAGMA table_info(${ident(table)})`).all<{ name: string }>()).results.map((c) => c.name);
    const render = rowExpression(columns);
    const rows = await db.prepare(`SELECT ${render} AS r FROM ${ident(table)}`).raw<[string]>();
    out.tables[table.toLowerCase()] = {
      rows: rows.length,
      checksum: sumRowHashes(
        (function* () {
          for (const [r] of rows) yield r;
        })(),
        hash,
      ),
    };
  }
  if (tables.includes('d1_migrations')) {
    out.migrations = (await db.prepare('SELECT name FROM d1_migrations ORDER BY id').all<{ name: string }>()).results.map((r) => r.name);
  }
  return out;
}

/**
 * Every way a database differs from what its manifest says, as sentences for the operator.
 *
 * @example compare(manifest, measured) // ['tasks: 4999 rows, the manifest says 5000']
 */
export function compare(expected: Pick<Manifest, 'tables' | 'migrations'>, actual: Measurement): string[] {
  const problems: string[] = [];
  for (const [table, want] of Object.entries(expected.tables)) {
    const got = actual.tables[table];
    if (!got) problems.push(`${table}: missing from the restored database`);
    else if (got.rows !== want.rows) problems.push(`${table}: ${got.rows} rows, the manifest says ${want.rows}`);
    else if (got.checksum !== want.checksum)
      problems.push(`${table}: checksum ${got.checksum.slice(0, 12)}… ≠ manifest ${want.checksum.slice(0, 12)}…`);
  }
  for (const table of Object.keys(actual.tables)) {
    if (!(table in expected.tables)) problems.push(`${table}: not in the manifest`);
  }
  if (expected.migrations.join('\n') !== actual.migrations.join('\n')) {
    problems.push(`migration level ${actual.migrations.at(-1) ?? 'none'}, the manifest says ${expected.migrations.at(-1) ?? 'none'}`);
  }
  return problems;
}

/**
 * Migrations the backup has but this checkout does not: restoring it would give the code a
 * schema it does not know.
 */
export function newerThanCode(backup: string[], code: string[]): string[] {
  return backup.filter((m) => !code.includes(m));
}
