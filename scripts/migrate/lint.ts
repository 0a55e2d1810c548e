/**
 * The migration lint: replays the pending migrations over what the target database holds now
 * (tables, columns, foreign keys, row counts) and flags every change that loses data, breaks
 * the release still running, or locks the database, unless the file carries a reasoned
 * `foyer:allow-destructive` marker for it. Pure: the CLI gathers the facts, this decides.
 */
import { adviceFor } from './advice';
import { findMarker, type Marker, parseMarkers, type Rule } from './markers';
import { affinity, type ColumnDef, type ForeignKeyDef, type Parsed, parseStatement, splitStatements } from './sql';

export interface ColumnFacts {
  type: string;
  notNull: boolean;
  hasDefault: boolean;
}

export interface TableFacts {
  rowCount: number;
  columns: Record<string, ColumnFacts>;
  /** Foreign keys this table holds (it is the child). */
  foreignKeys: ForeignKeyDef[];
}

/** The target database before the run, keyed by lower-case table name. */
export type DatabaseFacts = Record<string, TableFacts>;

export interface MigrationFile {
  name: string;
  sql: string;
}

/** A change the running code could notice; input to the expand/contract check. */
export type SchemaChange =
  | { kind: 'drop-table'; table: string }
  | { kind: 'drop-column'; table: string; column: string }
  | { kind: 'rename-table'; table: string; to: string }
  | { kind: 'rename-column'; table: string; column: string; to: string };

export interface Finding {
  migration: string;
  line: number;
  rule: Rule;
  /** `table` or `table.column`. */
  target: string;
  message: string;
  advice: string;
  /** Set when a marker in the file allows it. */
  allowed?: { reason: string; line: number };
  /** Other tables whose rows it deletes (ON DELETE CASCADE). */
  affects?: string[];
}

export interface LintResult {
  findings: Finding[];
  /** Malformed markers: always blocking, a typo must not silently allow anything. */
  problems: { migration: string; line: number; message: string }[];
  /** Things worth knowing that block nothing (unused markers, ignored pragmas). */
  notes: string[];
  changes: (SchemaChange & { migration: string })[];
}

/** Above this an index build is long enough to mention (it blocks writes while it runs). */
export const LARGE_TABLE_ROWS = 100_000;

interface ModelTable extends TableFacts {
  /** Created by a pending migration: no data yet and no released code reads it. */
  fresh: boolean;
}

function toColumnFacts(c: ColumnDef): ColumnFacts {
  return { type: c.type, notNull: c.notNull || c.primaryKey, hasDefault: c.hasDefault };
}

/**
 * Lints the pending migrations, in order, against the target database's facts.
 *
 * @example
 * const result = lintMigrations([{ name: '0001_x.sql', sql: 'ALTER TABLE tasks DROP COLUMN title;' }], facts);
 * blocking(result) // → the drop-column finding, with expand/contract advice
 */
export function lintMigrations(files: readonly MigrationFile[], facts: DatabaseFacts): LintResult {
  const model = new Map<string, ModelTable>(
    Object.entries(facts).map(([name, t]) => [
      name.toLowerCase(),
      { ...t, columns: { ...t.columns }, foreignKeys: [...t.foreignKeys], fresh: false },
    ]),
  );
  const result: LintResult = { findings: [], problems: [], notes: [], changes: [] };

  for (const file of files) {
    const { markers, problems } = parseMarkers(file.sql);
    result.problems.push(...problems.map((p) => ({ migration: file.name, ...p })));
    const used = new Set<Marker>();
    const statements = splitStatements(file.sql).map((s) => ({ ...s, parsed: parseStatement(s.sql) }));
    const consumed = new Set<number>();

    const flag = (line: number, rule: Rule, target: string, message: string, affects?: string[]) => {
      const marker = findMarker(markers, rule, target);
      if (marker) used.add(marker);
      result.findings.push({
        migration: file.name,
        line,
        rule,
        target,
        message,
        advice: adviceFor(rule, target),
        ...(marker ? { allowed: { reason: marker.reason, line: marker.line } } : {}),
        ...(affects ? { affects } : {}),
      });
    };
    const change = (c: SchemaChange) => result.changes.push({ ...c, migration: file.name });
    const cascadeChildren = (parent: string) =>
      [...model.entries()]
        .filter(
          ([name, t]) => name !== parent && t.rowCount > 0 && t.foreignKeys.some((fk) => fk.table === parent && fk.onDelete === 'cascade'),
        )
        .map(([name, t]) => ({ name, label: `${name} (${t.rowCount} rows)` }));

    statements.forEach(({ parsed, line }, index) => {
      if (consumed.has(index)) return;
      const p: Parsed = parsed;
      switch (p.kind) {
        case 'create-table': {
          const columns = Object.fromEntries(p.def.columns.map((c) => [c.name, toColumnFacts(c)]));
          model.set(p.table, { rowCount: 0, columns, foreignKeys: p.def.foreignKeys, fresh: true });
          return;
        }
        case 'drop-table': {
          const old = model.get(p.table);
          if (!old) return;
          const renameIndex = statements.findIndex((s, i) => i > index && s.parsed.kind === 'rename-table' && s.parsed.to === p.table);
          const rename = statements[renameIndex]?.parsed;
          const replacement = rename?.kind === 'rename-table' ? model.get(rename.table) : undefined;
          if (rename?.kind === 'rename-table' && replacement) {
            consumed.add(renameIndex);
            if (!old.fresh) lintRebuild(p.table, old, replacement, line);
            model.delete(rename.table);
            model.set(p.table, { ...replacement, rowCount: old.rowCount, fresh: old.fresh });
            return;
          }
          if (!old.fresh) {
            flag(
              line,
              'drop-table',
              p.table,
              `drops table ${p.table} (${old.rowCount} rows): its data is lost, and the release still running reads it.`,
            );
            change({ kind: 'drop-table', table: p.table });
            const children = cascadeChildren(p.table);
            if (children.length) {
              const labels = children.map((c) => c.label).join(', ');
              flag(
                line,
                'cascade-delete',
                p.table,
                `dropping ${p.table} also deletes rows of ${labels} through ON DELETE CASCADE.`,
                children.map((c) => c.name),
              );
            }
          }
          model.delete(p.table);
          return;
        }
        case 'rename-table': {
          const t = model.get(p.table);
          if (t && !t.fresh) {
            flag(line, 'rename', p.table, `renames table ${p.table} to ${p.to}: the release still running uses the old name.`);
            change({ kind: 'rename-table', table: p.table, to: p.to });
          }
          if (t) {
            model.delete(p.table);
            model.set(p.to, t);
          }
          return;
        }
        case 'rename-column': {
          const t = model.get(p.table);
          if (t && !t.fresh) {
            flag(
              line,
              'rename',
              `${p.table}.${p.column}`,
              `renames column ${p.table}.${p.column} to ${p.to}: the release still running uses the old name.`,
            );
            change({ kind: 'rename-column', table: p.table, column: p.column, to: p.to });
          }
          if (t?.columns[p.column]) {
            t.columns[p.to] = t.columns[p.column]!;
            delete t.columns[p.column];
          }
          return;
        }
        case 'add-column': {
          const t = model.get(p.table);
          if (!t) return;
          if (p.column.notNull && !p.column.hasDefault && t.rowCount > 0) {
            flag(
              line,
              'not-null-without-default',
              `${p.table}.${p.column.name}`,
              `adds ${p.table}.${p.column.name} NOT NULL without a DEFAULT to a table with ${t.rowCount} rows.`,
            );
          }
          t.columns[p.column.name] = toColumnFacts(p.column);
          return;
        }
        case 'drop-column': {
          const t = model.get(p.table);
          if (!t) return;
          if (!t.fresh) {
            flag(
              line,
              'drop-column',
              `${p.table}.${p.column}`,
              `drops column ${p.table}.${p.column}: its data is lost, and the release still running reads it until the deploy finishes.`,
            );
            change({ kind: 'drop-column', table: p.table, column: p.column });
          }
          delete t.columns[p.column];
          return;
        }
        case 'delete': {
          const t = model.get(p.table);
          if (t && !p.hasWhere && t.rowCount > 0) {
            flag(line, 'delete-without-where', p.table, `deletes every row of ${p.table} (${t.rowCount} rows).`);
            t.rowCount = 0;
          }
          return;
        }
        case 'create-index': {
          const t = model.get(p.table);
          if (t && t.rowCount >= LARGE_TABLE_ROWS) {
            result.notes.push(
              `${file.name}:${line} builds index ${p.index} over ${t.rowCount} rows of ${p.table} inside the migration's transaction: writes wait meanwhile; prefer a quiet window.`,
            );
          }
          return;
        }
        case 'pragma-foreign-keys-off':
          result.notes.push(
            `${file.name}:${line} PRAGMA foreign_keys=OFF has no effect on D1 (foreign keys are always enforced); use PRAGMA defer_foreign_keys = true.`,
          );
          return;
        case 'other':
          return;
      }
    });

    function lintRebuild(table: string, old: ModelTable, next: ModelTable, line: number) {
      if (old.rowCount > 0) {
        flag(line, 'table-rebuild', table, `rebuilds ${table} (${old.rowCount} rows) by copying it into a new table.`);
        const children = cascadeChildren(table);
        if (children.length) {
          const labels = children.map((c) => c.label).join(', ');
          flag(
            line,
            'cascade-delete',
            table,
            `the DROP TABLE of this rebuild also deletes rows of ${labels} through ON DELETE CASCADE.`,
            children.map((c) => c.name),
          );
        }
      }
      for (const [name, col] of Object.entries(old.columns)) {
        const now = next.columns[name];
        if (!now) {
          flag(
            line,
            'drop-column',
            `${table}.${name}`,
            `the rebuild of ${table} leaves out column ${name}: its data is lost, and the release still running reads it.`,
          );
          change({ kind: 'drop-column', table, column: name });
          continue;
        }
        if (affinity(col.type) !== affinity(now.type)) {
          flag(
            line,
            'type-change',
            `${table}.${name}`,
            `changes ${table}.${name} from ${col.type || 'untyped'} to ${now.type || 'untyped'}.`,
          );
        }
        if (now.notNull && !col.notNull && !now.hasDefault && old.rowCount > 0) {
          flag(
            line,
            'not-null-without-default',
            `${table}.${name}`,
            `makes ${table}.${name} NOT NULL without a DEFAULT; existing NULLs make the copy fail.`,
          );
        }
      }
      for (const [name, col] of Object.entries(next.columns)) {
        if (!old.columns[name] && col.notNull && !col.hasDefault && old.rowCount > 0) {
          flag(
            line,
            'not-null-without-default',
            `${table}.${name}`,
            `the rebuild of ${table} adds ${name} NOT NULL without a DEFAULT to a table with ${old.rowCount} rows.`,
          );
        }
      }
    }

    for (const marker of markers) {
      if (!used.has(marker)) {
        result.notes.push(
          `${file.name}:${marker.line} marker for ${marker.rule}${marker.target ? `:${marker.target}` : ''} matches nothing; remove it.`,
        );
      }
    }
  }
  return result;
}

/** What stops the run: findings no marker allows, and malformed markers. */
export function blocking(result: LintResult): { findings: Finding[]; problems: LintResult['problems'] } {
  return { findings: result.findings.filter((f) => !f.allowed), problems: result.problems };
}

/** The lint report as the CLI prints it. */
export function formatFinding(f: Finding): string {
  const head = `${f.migration}:${f.line} [${f.rule}] ${f.message}`;
  return f.allowed
    ? `${head}\n    allowed by the marker on line ${f.allowed.line}: "${f.allowed.reason}"`
    : `${head}\n${indent(f.advice, 4)}`;
}

function indent(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}
