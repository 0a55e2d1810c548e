import type { SeedData } from './demo-data';

export type SqlValue = string | number | null;
export interface SeedStatement {
  sql: string;
  params: SqlValue[];
}

/** D1 rejects a statement that binds more than 100 parameters; local SQLite would not. */
export const D1_MAX_BOUND_PARAMETERS = 100;

interface TableSpec<Row> {
  table: string;
  columns: (keyof Row & string)[];
  /** SQL after VALUES: how a re-run treats rows that already exist. */
  onConflict: string;
}

function insertRows<Row extends Record<string, SqlValue>>(spec: TableSpec<Row>, rows: Row[], maxParams: number): SeedStatement[] {
  const perStatement = Math.max(1, Math.floor(maxParams / spec.columns.length));
  const tuple = `(${spec.columns.map(() => '?').join(', ')})`;
  const statements: SeedStatement[] = [];
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    statements.push({
      sql: `insert into ${spec.table} (${spec.columns.join(', ')}) values ${chunk.map(() => tuple).join(', ')} ${spec.onConflict}`,
      params: chunk.flatMap((row) => spec.columns.map((c) => row[c] ?? null)),
    });
  }
  return statements;
}

const DEMO_OWNERS = new Set(['alice', 'bob', 'ops']);
const reanchor = (columns: string[]) => `on conflict(id) do update set ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}`;

/**
 * The seed as parameterised statements, each binding at most `maxParams` values.
 * Re-running is safe: generated rows are inserted once; the named demo users' seeded tasks
 * and the announcements are re-anchored to the new `now`, so "due today" stays true.
 */
export function seedStatements(data: SeedData, maxParams = D1_MAX_BOUND_PARAMETERS): SeedStatement[] {
  const taskColumns = [
    'id',
    'owner_id',
    'title',
    'status',
    'priority',
    'due_at',
    'snoozed_until',
    'completed_at',
    'created_at',
    'updated_at',
  ] as const;
  return [
    ...insertRows(
      { table: 'users', columns: ['id', 'name', 'email', 'role', 'time_zone', 'created_at'], onConflict: 'on conflict do nothing' },
      data.users as never,
      maxParams,
    ),
    ...insertRows(
      {
        table: 'preferences',
        columns: ['user_id', 'theme', 'hidden_sections', 'section_order', 'locale', 'time_zone', 'updated_at'],
        onConflict: 'on conflict do nothing',
      },
      data.preferences as never,
      maxParams,
    ),
    ...insertRows(
      {
        table: 'announcements',
        columns: ['id', 'title', 'body', 'severity', 'starts_at', 'ends_at', 'created_at'],
        onConflict: reanchor(['title', 'body', 'severity', 'starts_at', 'ends_at']),
      },
      data.announcements as never,
      maxParams,
    ),
    ...insertRows(
      {
        table: 'tasks',
        columns: [...taskColumns],
        onConflict: reanchor(['title', 'status', 'priority', 'due_at', 'snoozed_until', 'completed_at', 'updated_at']),
      },
      data.tasks.filter((t) => DEMO_OWNERS.has(t.owner_id)) as never,
      maxParams,
    ),
    ...insertRows(
      { table: 'tasks', columns: [...taskColumns], onConflict: 'on conflict do nothing' },
      data.tasks.filter((t) => !DEMO_OWNERS.has(t.owner_id)) as never,
      maxParams,
    ),
    ...insertRows(
      { table: 'activity_events', columns: ['user_id', 'id', 'type', 'payload', 'created_at'], onConflict: 'on conflict do nothing' },
      data.events as never,
      maxParams,
    ),
  ];
}

function literal(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as SQL`);
    return String(value);
  }
  return `'${value.replaceAll("'", "''")}'`;
}

/** Inlines the parameters: `wrangler d1 execute --file` runs plain SQL with nothing to bind. */
export function toSqlScript(statements: SeedStatement[]): string {
  return statements
    .map((s) => {
      let i = 0;
      return `${s.sql.replace(/\?/g, () => literal(s.params[i++] ?? null))};`;
    })
    .join('\n');
}
