/**
 * Verification after `wrangler d1 migrations apply`: the database is sound, nothing is left
 * pending, no table lost rows it should not have, and everything the code being deployed
 * expects (drizzle/schema.ts) is there. Pure: compares two snapshots the CLI took.
 */
import type { SchemaChange, TableFacts } from './lint';
import type { SchemaModel } from './schema-model';
import { affinity } from './sql';

export interface DbSnapshot {
  tables: Record<string, TableFacts & { indexes: string[] }>;
  /** Applied migration names, from D1's d1_migrations table. */
  applied: string[];
  /** Which check ran (D1 refuses `integrity_check` through its API; `quick_check` is allowed) and its rows. */
  integrity: { check: 'integrity_check' | 'quick_check'; result: string[] };
  /** Rows of PRAGMA foreign_key_check. */
  foreignKeyViolations: unknown[];
}

export interface RowCount {
  table: string;
  before: number | null;
  after: number | null;
}

export interface Verification {
  ok: boolean;
  problems: string[];
  rowCounts: RowCount[];
}

export interface VerifyInput {
  before: DbSnapshot;
  after: DbSnapshot;
  /** drizzle/schema.ts of the code being deployed. */
  expected: SchemaModel;
  /** Every migration file that should be applied afterwards. */
  migrations: string[];
  /** Changes a marker allowed: their tables may shrink or vanish. */
  allowed: SchemaChange[];
  /** Tables whose rows a marker allowed to delete. */
  allowedDeletes: string[];
  /** Live traffic may delete a few rows between the two counts; 0 locally. */
  rowTolerance: (before: number) => number;
}

/**
 * @example verifyMigration({ before, after, expected: schemaModel(schema), migrations, allowed: [], allowedDeletes: [], rowTolerance: () => 0 })
 */
export function verifyMigration(input: VerifyInput): Verification {
  const { before, after, expected } = input;
  const problems: string[] = [];

  const integrity = after.integrity.result;
  if (integrity.length !== 1 || integrity[0] !== 'ok') {
    problems.push(`PRAGMA ${after.integrity.check} reports: ${integrity.slice(0, 5).join('; ') || '(no rows)'}.`);
  }
  if (after.foreignKeyViolations.length > 0) {
    problems.push(
      `PRAGMA foreign_key_check finds ${after.foreignKeyViolations.length} row(s) pointing at missing parents, e.g. ${JSON.stringify(after.foreignKeyViolations[0])}.`,
    );
  }
  const missing = input.migrations.filter((m) => !after.applied.includes(m));
  if (missing.length) problems.push(`Still not applied: ${missing.join(', ')}.`);

  const droppedTables = new Set(
    input.allowed.flatMap((c) => (c.kind === 'drop-table' ? [c.table] : c.kind === 'rename-table' ? [c.table] : [])),
  );
  const rowCounts: RowCount[] = [];
  const names = [...new Set([...Object.keys(before.tables), ...Object.keys(after.tables)])].sort();
  for (const table of names) {
    const b = before.tables[table]?.rowCount ?? null;
    const a = after.tables[table]?.rowCount ?? null;
    rowCounts.push({ table, before: b, after: a });
    if (b === null) continue;
    if (a === null) {
      if (!droppedTables.has(table)) problems.push(`Table ${table} (${b} rows before) is gone, and no marker allowed dropping it.`);
      continue;
    }
    if (a < b - input.rowTolerance(b) && !input.allowedDeletes.includes(table) && !droppedTables.has(table)) {
      problems.push(`Table ${table} lost ${b - a} rows (${b} → ${a}); check for ON DELETE CASCADE from a dropped or rebuilt parent table.`);
    }
  }

  for (const [table, spec] of Object.entries(expected)) {
    const actual = after.tables[table];
    if (!actual) {
      problems.push(`Table ${table} is declared in drizzle/schema.ts but missing from the database.`);
      continue;
    }
    for (const [column, want] of Object.entries(spec.columns)) {
      const have = actual.columns[column];
      if (!have) {
        problems.push(`Column ${table}.${column} is declared in drizzle/schema.ts but missing from the database.`);
        continue;
      }
      if (affinity(have.type) !== affinity(want.type)) {
        problems.push(`Column ${table}.${column} is ${have.type} in the database but ${want.type} in drizzle/schema.ts.`);
      }
      if (want.notNull && !have.notNull) {
        problems.push(`Column ${table}.${column} is NOT NULL in drizzle/schema.ts but nullable in the database.`);
      }
    }
    for (const index of spec.indexes) {
      if (!actual.indexes.includes(index)) problems.push(`Index ${index} on ${table} is declared in drizzle/schema.ts but missing.`);
    }
  }
  return { ok: problems.length === 0, problems, rowCounts };
}

/** `table  before → after` lines, changed ones marked. */
export function formatRowCounts(rows: readonly RowCount[]): string {
  const width = Math.max(...rows.map((r) => r.table.length), 5);
  return rows
    .map((r) => {
      const b = r.before ?? '—';
      const a = r.after ?? '—';
      return `  ${r.table.padEnd(width)}  ${String(b).padStart(8)} → ${String(a).padEnd(8)}${r.before !== r.after ? ' *' : ''}`;
    })
    .join('\n');
}
