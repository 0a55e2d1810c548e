/**
 * Just enough SQLite parsing for the migration lint: split a migration file into statements
 * and read the shape of the DDL statements drizzle-kit (or a person) writes. Not a full SQL
 * parser: anything it does not recognise is reported as `other` and left to SQLite.
 */

/** A statement without its comments, whitespace collapsed, and the 1-based line it starts on. */
export interface Statement {
  sql: string;
  line: number;
}

/**
 * Splits on top-level `;` (outside quotes, identifiers and comments). drizzle-kit also writes
 * `--> statement-breakpoint` between statements; that is a comment, so it needs no handling.
 * Trigger bodies (`BEGIN … END`) hold `;` of their own and stay one statement.
 *
 * @example splitStatements('CREATE TABLE a (x int);\n-- note\nDROP TABLE b;') // two statements
 */
export function splitStatements(source: string): Statement[] {
  const out: Statement[] = [];
  let current = '';
  let line = 1;
  let startLine = 1;
  let i = 0;
  const push = () => {
    const sql = current.replace(/\s+/g, ' ').trim();
    if (sql) out.push({ sql, line: startLine });
    current = '';
  };
  while (i < source.length) {
    const ch = source[i]!;
    const next = source[i + 1];
    if (!current.trim()) startLine = line;
    if (ch === '-' && next === '-') {
      const end = source.indexOf('\n', i);
      i = end === -1 ? source.length : end;
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      line += countNewlines(source.slice(i, stop));
      current += ' ';
      i = stop;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`' || ch === '[') {
      const close = ch === '[' ? ']' : ch;
      let j = i + 1;
      while (j < source.length) {
        if (source[j] === close) {
          // A doubled quote is an escaped quote inside the literal.
          if (close !== ']' && source[j + 1] === close) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      const literal = source.slice(i, j + 1);
      line += countNewlines(literal);
      current += literal;
      i = j + 1;
      continue;
    }
    if (ch === '\n') line++;
    if (ch === ';' && !insideTriggerBody(current)) {
      push();
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  push();
  return out;
}

function countNewlines(text: string): number {
  return text.split('\n').length - 1;
}

function insideTriggerBody(sofar: string): boolean {
  const text = sofar.replace(/\s+/g, ' ').trim().toUpperCase();
  if (!/^CREATE (TEMP |TEMPORARY )?TRIGGER\b/.test(text)) return false;
  if (!/\bBEGIN\b/.test(text)) return true;
  return !/\bEND$/.test(text);
}

/** An identifier as SQLite compares it: unquoted and case-folded. */
export function ident(raw: string): string {
  const t = raw.trim();
  const quoted = /^[`"[](.*)[`"\]]$/.exec(t);
  return (quoted ? quoted[1]! : t).toLowerCase();
}

const IDENT = String.raw`(?:\`[^\`]+\`|"[^"]+"|\[[^\]]+\]|[A-Za-z_][\w$]*)`;
const QUALIFIED = String.raw`(?:${IDENT}\.)?(${IDENT})`;

/** SQLite's type affinity rules (https://www.sqlite.org/datatype3.html#determination_of_column_affinity). */
export function affinity(declaredType: string): 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC' {
  const t = declaredType.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t.includes('BLOB') || t.trim() === '') return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

export interface ColumnDef {
  name: string;
  type: string;
  notNull: boolean;
  hasDefault: boolean;
  primaryKey: boolean;
  /** `REFERENCES t(x) ON DELETE …` written on the column itself. */
  references?: { table: string; onDelete: string };
}

export interface ForeignKeyDef {
  table: string;
  onDelete: string;
}

export interface TableDef {
  columns: ColumnDef[];
  foreignKeys: ForeignKeyDef[];
}

const COLUMN_CONSTRAINT = /\b(CONSTRAINT|PRIMARY|NOT|NULL|UNIQUE|CHECK|DEFAULT|COLLATE|REFERENCES|GENERATED|AS)\b/i;

/** Parses one column definition (`name type constraints…`). */
export function parseColumnDef(def: string): ColumnDef {
  const m = new RegExp(`^(${IDENT})\\s*(.*)$`, 's').exec(def.trim());
  if (!m) throw new Error(`Cannot read the column definition "${def}".`);
  const rest = m[2] ?? '';
  const constraintAt = rest.search(COLUMN_CONSTRAINT);
  const type = (constraintAt === -1 ? rest : rest.slice(0, constraintAt)).trim();
  const constraints = constraintAt === -1 ? '' : rest.slice(constraintAt);
  const ref = new RegExp(`REFERENCES\\s+(${IDENT})(?:\\s*\\([^)]*\\))?([^,]*)`, 'i').exec(constraints);
  const column: ColumnDef = {
    name: ident(m[1]!),
    type,
    notNull: /\bNOT\s+NULL\b/i.test(constraints),
    // A generated column needs no default: SQLite computes it.
    hasDefault: /\bDEFAULT\b/i.test(constraints) || /\b(GENERATED|AS)\b/i.test(constraints),
    primaryKey: /\bPRIMARY\s+KEY\b/i.test(constraints),
  };
  if (ref) column.references = { table: ident(ref[1]!), onDelete: onDeleteOf(ref[2] ?? '') };
  return column;
}

function onDeleteOf(text: string): string {
  const m = /\bON\s+DELETE\s+(SET\s+NULL|SET\s+DEFAULT|CASCADE|RESTRICT|NO\s+ACTION)/i.exec(text);
  return (m?.[1] ?? 'no action').toLowerCase().replace(/\s+/g, ' ');
}

/** Splits on commas that are not inside parentheses or quotes. */
function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (const ch of body) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim()) parts.push(current);
  return parts.map((p) => p.trim());
}

/** Reads the columns and foreign keys of a `CREATE TABLE name (…)` body. */
export function parseTableBody(body: string): TableDef {
  const columns: ColumnDef[] = [];
  const foreignKeys: ForeignKeyDef[] = [];
  for (const part of splitTopLevel(body)) {
    if (/^(CONSTRAINT\s+\S+\s+)?FOREIGN\s+KEY\b/i.test(part)) {
      const ref = new RegExp(`REFERENCES\\s+(${IDENT})`, 'i').exec(part);
      if (ref) foreignKeys.push({ table: ident(ref[1]!), onDelete: onDeleteOf(part) });
      continue;
    }
    if (/^(CONSTRAINT|PRIMARY\s+KEY|UNIQUE|CHECK)\b/i.test(part)) continue;
    const column = parseColumnDef(part);
    columns.push(column);
    if (column.references) foreignKeys.push(column.references);
  }
  return { columns, foreignKeys };
}

/** What one statement does to the schema, as far as the lint cares. */
export type Parsed =
  | { kind: 'create-table'; table: string; def: TableDef }
  | { kind: 'drop-table'; table: string }
  | { kind: 'rename-table'; table: string; to: string }
  | { kind: 'rename-column'; table: string; column: string; to: string }
  | { kind: 'add-column'; table: string; column: ColumnDef }
  | { kind: 'drop-column'; table: string; column: string }
  | { kind: 'delete'; table: string; hasWhere: boolean }
  | { kind: 'create-index'; table: string; index: string }
  | { kind: 'pragma-foreign-keys-off' }
  | { kind: 'other' };

/** Classifies one statement from {@link splitStatements}. */
export function parseStatement(sql: string): Parsed {
  let m = new RegExp(
    `^CREATE\\s+(?:TEMP\\s+|TEMPORARY\\s+)?TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${QUALIFIED}\\s*\\((.*)\\)[^)]*$`,
    'is',
  ).exec(sql);
  if (m) return { kind: 'create-table', table: ident(m[1]!), def: parseTableBody(m[2]!) };
  m = new RegExp(`^DROP\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?${QUALIFIED}`, 'i').exec(sql);
  if (m) return { kind: 'drop-table', table: ident(m[1]!) };
  m = new RegExp(`^ALTER\\s+TABLE\\s+${QUALIFIED}\\s+(.*)$`, 'is').exec(sql);
  if (m) {
    const table = ident(m[1]!);
    const action = m[2]!;
    let a = new RegExp(`^RENAME\\s+TO\\s+(${IDENT})$`, 'i').exec(action);
    if (a) return { kind: 'rename-table', table, to: ident(a[1]!) };
    a = new RegExp(`^RENAME\\s+(?:COLUMN\\s+)?(${IDENT})\\s+TO\\s+(${IDENT})$`, 'i').exec(action);
    if (a) return { kind: 'rename-column', table, column: ident(a[1]!), to: ident(a[2]!) };
    a = /^ADD\s+(?:COLUMN\s+)?(.*)$/is.exec(action);
    if (a) return { kind: 'add-column', table, column: parseColumnDef(a[1]!) };
    a = new RegExp(`^DROP\\s+(?:COLUMN\\s+)?(${IDENT})$`, 'i').exec(action);
    if (a) return { kind: 'drop-column', table, column: ident(a[1]!) };
  }
  m = new RegExp(`^DELETE\\s+FROM\\s+${QUALIFIED}(.*)$`, 'is').exec(sql);
  if (m) return { kind: 'delete', table: ident(m[1]!), hasWhere: /\bWHERE\b/i.test(m[2] ?? '') };
  m = new RegExp(`^CREATE\\s+(?:UNIQUE\\s+)?INDEX\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${QUALIFIED}\\s+ON\\s+(${IDENT})`, 'i').exec(sql);
  if (m) return { kind: 'create-index', index: ident(m[1]!), table: ident(m[2]!) };
  if (/^PRAGMA\s+foreign_keys\s*=\s*(OFF|0|false|no)\b/i.test(sql)) return { kind: 'pragma-foreign-keys-off' };
  return { kind: 'other' };
}
