/**
 * The SQL text `wrangler d1 export` writes (remote D1 and local Miniflare produce the same
 * shape: one `INSERT INTO "table" VALUES(…);` per row, newlines inside strings escaped as
 * `replace('…\n…','\n',char(10))`, CREATE statements as SQLite stored them) split into the
 * pieces a restore needs, in an order that never breaks a foreign key.
 */

/** Splits SQL text on top-level semicolons; quotes, identifiers and comments are respected. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = sql.indexOf(ch, i + 1);
      // A doubled quote is an escaped quote: the scan simply continues after it.
      i = end === -1 ? sql.length : end + 1;
      continue;
    }
    if (ch === '[') {
      const end = sql.indexOf(']', i + 1);
      i = end === -1 ? sql.length : end + 1;
      continue;
    }
    if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
      continue;
    }
    if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
      continue;
    }
    if (ch === ';') {
      const statement = sql.slice(start, i).trim();
      if (statement) out.push(statement);
      start = i + 1;
    }
    i++;
  }
  const rest = sql.slice(start).trim();
  if (rest) out.push(rest);
  return out;
}

export interface DumpParts {
  /** CREATE TABLE statements, in the dump's order. */
  tables: string[];
  /** INSERT statements grouped by the table they fill. */
  rows: Map<string, string[]>;
  /** CREATE INDEX / TRIGGER / VIEW: after the data, as SQLite's own .dump does. */
  rest: string[];
}

const INSERT = /^INSERT INTO\s+(?:"((?:[^"]|"")+)"|`([^`]+)`|(\w+))/i;

/**
 * @example parseDump('CREATE TABLE t (id);\nINSERT INTO "t" VALUES(1);').rows.get('t') // ['INSERT INTO "t" VALUES(1)']
 */
export function parseDump(sql: string): DumpParts {
  const parts: DumpParts = { tables: [], rows: new Map(), rest: [] };
  for (const statement of splitStatements(sql)) {
    const insert = INSERT.exec(statement);
    if (insert) {
      const table = (insert[1]?.replaceAll('""', '"') ?? insert[2] ?? insert[3] ?? '').toLowerCase();
      const list = parts.rows.get(table) ?? [];
      list.push(statement);
      parts.rows.set(table, list);
    } else if (/^CREATE TABLE/i.test(statement)) parts.tables.push(statement);
    else if (/^(CREATE|ANALYZE)/i.test(statement)) parts.rest.push(statement);
    // PRAGMA defer_foreign_keys and DELETE FROM sqlite_sequence belong to the dump's framing:
    // a restore goes into an empty database and defers foreign keys per batch itself.
  }
  return parts;
}

/**
 * Tables ordered parents first, so rows can be inserted in batches without a foreign key
 * pointing at a row not yet written. A cycle keeps the remaining tables in dump order
 * (each batch defers foreign keys, which covers rows of one batch).
 *
 * @example loadOrder(['tasks', 'users'], { tasks: ['users'], users: [] }) // ['users', 'tasks']
 */
export function loadOrder(tables: string[], parents: Record<string, string[]>): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  let remaining = [...tables];
  while (remaining.length) {
    const ready = remaining.filter((t) => (parents[t] ?? []).every((p) => p === t || done.has(p) || !tables.includes(p)));
    const next = ready.length ? ready : remaining.slice(0, 1);
    for (const t of next) {
      done.add(t);
      order.push(t);
    }
    remaining = remaining.filter((t) => !done.has(t));
  }
  return order;
}

/**
 * D1 refuses statements over 100 KB (https://developers.cloudflare.com/d1/platform/limits/);
 * rows are merged into multi-row INSERTs below that.
 */
const STATEMENT_BYTES = 90_000;

/**
 * The dump's one-row INSERTs for a table, merged into as few multi-row INSERTs as the statement
 * limit allows: one prepared statement per row costs far more than the row itself.
 *
 * @example mergeInserts('t', ['INSERT INTO "t" VALUES(1)', 'INSERT INTO "t" VALUES(2)']) // ['INSERT INTO "t" VALUES(1),(2)']
 */
export function mergeInserts(table: string, rows: string[], limit = STATEMENT_BYTES): string[] {
  const prefix = `INSERT INTO "${table.replaceAll('"', '""')}" VALUES`;
  const out: string[] = [];
  let current = '';
  for (const row of rows) {
    if (!row.startsWith(prefix)) {
      out.push(row);
      continue;
    }
    const tuple = row.slice(prefix.length);
    if (current && current.length + tuple.length + 1 > limit) {
      out.push(current);
      current = '';
    }
    current = current ? `${current},${tuple}` : `${prefix}${tuple}`;
  }
  if (current) out.push(current);
  return out;
}
